// The answer view: the big label, the sentence announced to screen readers, the bars, the
// 28×28 the network saw, and the status banner.
import { pct, probabilityBars } from "./charts.js";

const $ = (selector) => document.querySelector(selector);

// A runner-up this close to the best guess is shown beside it: handwriting's confusable pairs
// (0/O, 1/I, 2/Z, 5/S, 9/g/q …) are a fact, not something to hide behind one confident answer.
export const CLOSE_RUNNER_UP = 1 / 3;

export function showStatus(message) {
  const banner = $("#api-status");
  banner.hidden = !message;
  banner.textContent = message ?? "";
}

function quickAnswer(text, className = "") {
  const quick = $("#quick-answer");
  quick.textContent = text;
  quick.className = `quick-answer ${className}`.trim();
}

export function showIdle(text) {
  $("#prediction").textContent = "?";
  $("#prediction").className = "prediction";
  $("#announce").textContent = text;
  $("#processed").hidden = true;
  $("#bars").replaceChildren();
  $("#latency").textContent = "";
  $("#truth").hidden = true;
  $("#feedback").hidden = true;
  quickAnswer(text);
}

/** The runner-up when it is at least CLOSE_RUNNER_UP of the best guess, else null. */
export function closeRunnerUp(result) {
  const [first, second] = result.top_k;
  return second && second.probability >= first.probability * CLOSE_RUNNER_UP ? second : null;
}

/** One answer. `reads` is what the chosen model reads ("digits" or "characters"): a letter is
 * the answer of a characters model, and "not a digit" is said only by a digit model. */
export function showResult(result, { truth, reads = "digits" } = {}) {
  const characters = reads === "characters";
  const answered = characters || result.is_digit; // a letter is an answer, not a refusal
  const verdict = truth === undefined ? "" : truth === result.prediction ? " right" : " wrong";
  $("#prediction").textContent = answered ? result.prediction : "✗";
  $("#prediction").className = "prediction" + (answered ? "" : " not-digit") + verdict;
  const runnerUp = answered ? closeRunnerUp(result) : null;
  let sentence = answered
    ? `The network reads ${result.prediction}, ${pct(result.confidence)} confident.`
    : `That doesn't look like a digit (best guess ${result.prediction}).`;
  if (runnerUp) sentence += ` It could also be ${runnerUp.label} (${pct(runnerUp.probability)}).`;
  $("#announce").textContent = sentence;
  quickAnswer(
    answered ? `${result.prediction} · ${pct(result.confidence)}${runnerUp ? ` (or ${runnerUp.label})` : ""}` : "That doesn't look like a digit",
    answered ? "" : "not-digit",
  );
  const truthLine = $("#truth");
  truthLine.hidden = truth === undefined;
  // Said once, here (a live region too): the sentence above already says what was read.
  truthLine.textContent = truth === undefined ? "" : `True label ${truth}: ${truth === result.prediction ? "correct" : "a mistake"}.`;
  $("#processed").src = result.processed_image;
  $("#processed").hidden = false;
  // A characters model answers its top 5; a digit model all ten digits.
  const shown = characters ? result.top_k : result.labels.map((label, i) => ({ label, probability: result.probabilities[i] }));
  const bars = $("#bars");
  bars.classList.toggle("muted-bars", !answered); // no highlighted winner when there is none
  bars.setAttribute("aria-label", characters ? "The five most probable characters" : "Probability of each digit");
  probabilityBars(bars, shown.map((row) => row.label), shown.map((row) => row.probability), answered ? result.prediction : null);
  const score = characters ? `a digit: ${pct(result.digit_score)}` : `looks like a digit: ${pct(result.digit_score)}`;
  showModelLine(result, score);
  $("#feedback").hidden = truth !== undefined;
  $("#feedback-status").textContent = "";
}

/** The line under an answer: the model and its version, a fact about the answer, the server's time. */
export function showModelLine(result, fact) {
  const version = document.createElement("span");
  version.className = "nowrap"; // a version is one token: never broken at its hyphens
  version.textContent = result.model.version;
  $("#latency").replaceChildren(`${result.model.name} `, version, ` · ${fact} · ${result.elapsed_ms.toFixed(1)} ms on the server`);
}

export function showError(error, { photo = false, what = "a digit" } = {}) {
  if (error.name === "AbortError") return;
  if (error.code === "empty_image") {
    showIdle(photo ? `No ${what.replace(/^an? /, "")} found in this photo: try more light or a darker pen.` : `Nothing drawn yet: draw ${what}.`);
    return;
  }
  if (error.code === "unreachable") showStatus(error.message);
  showIdle(`Could not recognise that: ${error.message}`);
}
