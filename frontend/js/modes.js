// The "Read as" choice: a model that reads one character, or "Numbers & words" (a wider pad
// read whole by predict-text); what each choice changes on the page.
import * as api from "./api.js";
import { showStatus } from "./answer.js";
import { offerCorrections } from "./corrections.js";
import { offerModels } from "./inputs.js";
import { renderModel } from "./model-panel.js";
import { hideReading } from "./reading.js";
import { offerSampleLabels } from "./samples.js";

const $ = (selector) => document.querySelector(selector);
const MODEL_RETRY_MS = 5000; // the API unreachable: the model list is asked for again this often

/** The line network that reads numbers, where the server ships one (undefined: the default model). */
async function lineModel(alphabet = "digits") {
  try {
    const info = await api.modelInfo();
    return info.models.find((m) => m.reads_lines && m.reads === alphabet)?.name;
  } catch {
    return undefined;
  }
}

/** The choice's two verbs over the page's shared `state` and `pad`. */
export function modes({ state, pad, readAgain, refreshSamples, dataset, wide, TEXT }) {
  /** "Numbers & words" on or off: the pad widens for a line, the answer becomes a reading. */
  function setTextMode(on, { keep = false } = {}) {
    // Between one character and a line the pad starts afresh: a 7 left from Digits beside a
    // new 42 would read 742 (and writing past the square pad's edge would be read cut off).
    // Within a mode the drawing stays, to be read by another model or as words.
    // ("Read it as a number" keeps the drawing it offers to read.)
    if (!keep && on !== Boolean(state.text) && (pad.strokes.length || pad.picture)) pad.clear();
    state.text = on;
    $("#text-kind").hidden = !on;
    $("#constraint").hidden = !on;
    $("#pad").classList.toggle("wide", on);
    pad.setAspect(on ? wide() : 1);
    $("#draw-title").textContent = on ? "Write numbers or words, one or two lines" : state.reads === "characters" ? "Draw a letter or a digit" : "Draw a digit";
    $("#pad").setAttribute("aria-label", on ? "Writing area: write a number or a word, on one line or two" : state.reads === "characters" ? "Drawing area: draw one letter or digit" : "Drawing area: draw one digit, 0 to 9");
    $("#result-title").textContent = on ? "What the reader reads" : "What the network sees";
    if (!on) hideReading();
  }

  async function chooseModel(name) {
    try {
      const info = await api.modelInfo(name);
      const before = dataset();
      state.model = info.name;
      state.reads = info.alphabet ?? "digits"; // a fact of its card
      state.labels = info.labels;
      setTextMode(false); // a model chosen: one character at a time again
      offerModels(info.models, info.name, { text: state.text, textValue: TEXT });
      renderModel(info);
      offerCorrections(info.labels, { reads: state.reads, current: () => ({ result: state.lastResult, input: state.lastInput }) });
      offerSampleLabels(info.labels, dataset());
      showStatus(null);
      if (dataset() !== before || !$("#gallery").children.length) refreshSamples();
      readAgain();
    } catch (error) {
      showStatus(error.code === "unreachable" ? error.message : `Model information unavailable: ${error.message}`);
      if (!$("#model-choice").options.length) {
        // Never an empty list: say why there is no choice yet, and try again until the API answers.
        const waiting = new Option("Digits (waiting for the API…)", "", true, true);
        waiting.disabled = true;
        $("#model-choice").replaceChildren(waiting);
      }
      clearTimeout(state.retry);
      state.retry = setTimeout(() => chooseModel(name), MODEL_RETRY_MS);
    }
  }

  /** "Numbers & words": the model panel shows the model that reads the kind chosen. */
  async function chooseText(alphabet = state.alphabet, { keep = false } = {}) {
    state.alphabet = alphabet;
    for (const radio of document.querySelectorAll('input[name="text-kind"]')) radio.checked = radio.value === alphabet;
    $("#model-choice").value = TEXT;
    setTextMode(true, { keep });
    readAgain();
    try {
      // The model that reads it: the line network for the kind where the server ships one
      // (predict-text's default), else the characters model for words, the default for numbers.
      const line = await lineModel(alphabet);
      renderModel(await api.modelInfo(line ?? (alphabet === "characters" ? "characters" : undefined)));
    } catch (error) {
      showStatus(`Model information unavailable: ${error.message}`);
    }
  }

  return { chooseModel, chooseText };
}
