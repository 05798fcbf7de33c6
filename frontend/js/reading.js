// The reading view ("Numbers & words"): the text read, big; a box around each character on the
// drawing with its label; each character's 28×28 and confidence; the other readings; and a
// correction of the whole text.
import * as api from "./api.js";
import { showModelLine } from "./answer.js";
import { pct } from "./charts.js";

const $ = (selector) => document.querySelector(selector);

/** Hide the reading's own parts (a digit or letter answer is shown instead). */
export function hideReading() {
  $(".seen").hidden = false;
  $("#reading").hidden = true;
  $("#read-as-words").hidden = true;
  $("#text-feedback").hidden = true;
  $("#prediction").classList.remove("text");
}

/** Show one reading of predict-text; `pad` outlines its characters on the drawing. */
export function showReading(result, { pad, current }) {
  const prediction = $("#prediction");
  prediction.classList.add("text");
  prediction.classList.remove("not-digit", "right", "wrong");
  $("#bars").replaceChildren();
  $("#processed").hidden = true;
  $(".seen").hidden = true; // each character's 28×28 is shown below instead
  $("#feedback").hidden = true;
  $("#read-as-number").hidden = true;
  // A number read unsure whose characters look like letters: the API suggests reading words.
  $("#read-as-words").hidden = result.suggested_alphabet !== "characters";
  const quick = $("#quick-answer");
  quick.className = "quick-answer";
  if (!result.is_text) {
    prediction.textContent = "?";
    $("#announce").textContent = "Nothing written yet: write a number or a word.";
    quick.textContent = "Nothing written yet";
    $("#reading").hidden = true;
    $("#text-feedback").hidden = true;
    pad.showBoxes([]);
    return;
  }
  prediction.textContent = result.text; // lines one newline apart: shown a line each (white-space: pre-line)
  showLines(result);
  // The separators and marks the network passed over ("1.250,00" for 125000): an amount's
  // reader must see that the digits are not the whole story.
  const written = $("#written");
  written.hidden = !result.written || result.written === result.text;
  written.textContent = written.hidden ? "" : `As written: ${result.written} (the digits ${result.text})`;
  const sentence = `It reads “${result.text}”${written.hidden ? "" : `, written ${result.written}`}, ${pct(result.confidence)} sure.`;
  $("#announce").textContent = sentence;
  quick.textContent = `${result.text} · ${pct(result.confidence)}`;
  pad.showBoxes(result.characters);
  $("#characters").replaceChildren(
    ...result.characters.map((c, i) => {
      const item = document.createElement("li");
      item.className = "character";
      const image = document.createElement("img");
      image.src = c.processed_image;
      image.width = image.height = 42;
      image.alt = `Character ${i + 1}, read as ${c.label}`;
      const label = document.createElement("span");
      label.className = "character-label";
      label.textContent = c.label;
      const confidence = document.createElement("span");
      confidence.className = "muted";
      confidence.textContent = pct(c.confidence);
      item.title = c.top_k.map((t) => `${t.label} ${pct(t.probability)}`).join(", ");
      item.append(image, label, confidence);
      return item;
    }),
  );
  // A 0.0% one says nothing; the reading without "What may be written" is always shown.
  const others = result.alternatives.filter((a) => a.confidence >= 0.001 || a.constrained === false);
  const shown = (a) => `${a.text} (${pct(a.confidence)}${a.constrained === false ? ", without the constraint" : ""})`;
  $("#alternatives").textContent = others.length ? `Or: ${others.map(shown).join(", ")}` : "";
  $("#reading").hidden = false;
  offerTextCorrection(result, current);
  showModelLine(result, `${result.characters.length} character${result.characters.length === 1 ? "" : "s"}`);
}

/** Several lines: each with its reading and confidence; and the ink the reader left out. */
function showLines(result) {
  const lines = result.lines ?? [];
  const list = $("#lines");
  list.hidden = lines.length < 2;
  list.replaceChildren(
    ...(lines.length < 2 ? [] : lines).map((line, i) => {
      const item = document.createElement("li");
      item.className = "line";
      item.textContent = `Line ${i + 1}: ${line.text} · ${pct(line.confidence)}`;
      return item;
    }),
  );
  const why = { printed: "printed text", beyond_limit: "a line past the limit", unreadable: "ink it could not read" };
  const left = result.left_out ?? [];
  const note = $("#left-out");
  note.hidden = !left.length;
  note.textContent = left.length ? `Not read: ${left.map((item) => why[item.reason] ?? item.reason).join(", ")}.` : "";
}

function offerTextCorrection(result, current) {
  const form = $("#text-feedback");
  const input = $("#true-text");
  form.hidden = false;
  input.value = result.text;
  input.rows = Math.max(1, result.text.split("\n").length);
  $("#text-feedback-status").textContent = "";
  form.onsubmit = async (event) => {
    event.preventDefault();
    // Each line's words one space apart; the lines one newline apart, empty ones dropped.
    const text = input.value
      .split("\n")
      .map((line) => line.trim().replace(/\s+/g, " "))
      .filter(Boolean)
      .join("\n");
    const { input: drawing } = current();
    const status = $("#text-feedback-status");
    if (!text || !drawing) return;
    status.textContent = "Sending…";
    try {
      await api.sendTextFeedback({
        image: typeof drawing === "function" ? drawing() : drawing,
        predicted: result.text,
        text,
        model: result.model.name,
        modelVersion: result.model.version,
      });
      status.textContent = `Thank you! Saved as “${text}”; it will help train the next reader.`;
    } catch (error) {
      status.textContent = `Could not save the correction: ${error.message}`;
    }
  };
}
