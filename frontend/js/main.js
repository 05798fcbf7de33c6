// Wires the page: the model choice, the drawing pad with live recognition, uploads, samples,
// corrections and the model panel. Each view lives in its own module; this one holds the
// state they share and decides which answer may land. "Read as" chooses a model that reads one
// character (a digit model, the characters model), or "Numbers & words": a wider pad read whole
// by predict-text, as a number or as words.
import * as api from "./api.js";
import { showError, showIdle, showResult, showStatus } from "./answer.js";
import { DrawingPad } from "./canvas.js";
import { constraint, wireConstraints } from "./constraints.js";
import { wireFiles, wireKeys } from "./inputs.js";
import { modes } from "./modes.js";
import { hideReading, showReading } from "./reading.js";
import { loadSamples, markSample } from "./samples.js";

const $ = (selector) => document.querySelector(selector);
const LIVE_DELAY_MS = 120; // while drawing: at most one request per pause this long
const TEXT = "@text"; // the "Read as" choice "Numbers & words"
const LINE_UPLOAD_HEIGHT = 112; // a line of writing is sent this many pixels tall at most
const wide = () => 2.2; // the line pad's width / height: tall enough for two lines

const state = {
  model: undefined, // the chosen model's name; undefined = the API's default
  reads: "digits", // what it reads: "digits" or "characters"
  labels: [],
  inflight: null, // AbortController of the newest prediction request
  sequence: 0, // only the newest request may update the page
  timer: null,
  lastInput: null, // what the shown result was computed from, in full, for a correction
  lastResult: null,
  retry: null, // the timer asking for the model list again while the API is unreachable
  text: false, // "Numbers & words": the pad is read whole
  alphabet: "digits", // there: "digits" (a number) or "characters" (words)
  lastFile: null, // the photo or file last read, to read again as a number
};

const what = () => (state.text ? "a number or a word" : state.reads === "characters" ? "a letter or a digit" : "a digit");
const topK = () => (state.reads === "characters" ? 5 : 3);

function idle(text = `Draw ${what()} to start.`) {
  hideReading();
  showIdle(text);
  $("#read-as-number").hidden = $("#read-as-words").hidden = true;
  pad.showBoxes([]);
  state.lastResult = null;
}

/** Run a prediction; a newer call aborts an older one so a stale answer never lands. */
async function recognise(send, { truth, photo } = {}) {
  state.inflight?.abort();
  const controller = new AbortController();
  state.inflight = controller;
  const mine = ++state.sequence;
  try {
    const result = await send(controller.signal);
    if (mine !== state.sequence) return;
    showStatus(null);
    state.lastResult = result;
    if (state.text) {
      showReading(result, { pad, current: () => ({ result: state.lastResult, input: state.lastInput }) });
    } else {
      hideReading();
      showResult(result, { truth, reads: state.reads });
      $("#read-as-number").hidden = result.reason !== "several_characters";
    }
  } catch (error) {
    if (mine === state.sequence) {
      showError(error, { photo, what: what() });
      state.lastResult = null;
    }
  } finally {
    if (state.inflight === controller) state.inflight = null;
  }
}

const options = (signal) => ({ model: state.model, topK: topK(), signal });
const textOptions = (signal) => ({ alphabet: state.alphabet, topK: 3, ...constraint(), signal });

// --- Drawing -----------------------------------------------------------------------------

const pad = new DrawingPad($("#pad"));

function recogniseDrawing() {
  clearTimeout(state.timer);
  if (pad.isEmpty) {
    state.inflight?.abort();
    state.sequence++;
    if (!pad.picture) idle();
    return;
  }
  state.lastInput = () => pad.toDataURL(); // what a correction keeps: the whole drawing
  state.lastFile = null;
  if (state.text) {
    const line = pad.toUploadDataURL({ maxHeight: LINE_UPLOAD_HEIGHT }); // the ink's box, a line's height
    recognise((signal) => api.predictText(line, textOptions(signal)));
    return;
  }
  const upload = pad.toUploadDataURL(); // what is sent: the ink's box, small
  recognise((signal) => api.predictImage(upload, options(signal)));
}

pad.addEventListener("change", (event) => {
  clearTimeout(state.timer);
  if (event.detail.final) recogniseDrawing();
  else state.timer = setTimeout(recogniseDrawing, LIVE_DELAY_MS);
});
$("#clear").addEventListener("click", () => pad.clear());
$("#undo").addEventListener("click", () => pad.undo());
wireKeys(pad);
wireConstraints(() => state.text && readAgain());
// --- Upload: a photo of paper, or any image --------------------------------------------------

function recogniseFile(file) {
  if (!file) return;
  const reader = new FileReader();
  reader.onload = () => {
    state.lastInput = reader.result;
    pad.showPicture(reader.result, { background: "#2b2f36" }); // the pad shows the photo itself
  };
  reader.readAsDataURL(file);
  state.lastFile = file;
  if (state.text) recognise((signal) => api.predictTextFile(file, textOptions(signal)), { photo: true });
  else recognise((signal) => api.predictFile(file, options(signal)), { photo: true });
}

wireFiles(recogniseFile);

// --- Samples -----------------------------------------------------------------------------

const dataset = () => (state.reads === "characters" ? "emnist" : "mnist");

function predictSample(button, sample) {
  state.lastInput = sample.image;
  state.lastFile = null;
  pad.showPicture(sample.image, { pixelated: true }); // the pad shows the sample, scaled
  recognise(
    async (signal) => {
      if (state.text) return api.predictText(sample.image, textOptions(signal));
      const result = await api.predictImage(sample.image, options(signal));
      markSample(button, sample, result);
      return result;
    },
    { truth: sample.label },
  );
  $("#draw").scrollIntoView({ behavior: "smooth", block: "nearest" });
}

const refreshSamples = () => loadSamples(dataset(), predictSample);
$("#new-samples").addEventListener("click", refreshSamples);
$("#sample-label").addEventListener("change", refreshSamples);

// --- The model choice: one control, beside the pad ----------------------------------------------

/** Read what is on the pad (or the photo last read) again, as it is chosen now. */
function readAgain() {
  if (state.lastFile) recogniseFile(state.lastFile);
  else if (!pad.isEmpty) recogniseDrawing();
  else if (!pad.picture) idle();
}

const { chooseModel, chooseText } = modes({ state, pad, readAgain, refreshSamples, dataset, wide, TEXT });

$("#model-choice").addEventListener("change", (event) =>
  event.target.value === TEXT ? chooseText() : chooseModel(event.target.value),
);
for (const radio of document.querySelectorAll('input[name="text-kind"]')) {
  radio.addEventListener("change", () => chooseText(radio.value));
}
$("#read-as-number").addEventListener("click", () => chooseText("digits", { keep: true }));
$("#read-as-words").addEventListener("click", () => chooseText("characters", { keep: true }));

// --- Start -------------------------------------------------------------------------------

for (const link of [$("#docs-link"), $("#docs-link-2")]) link.href = api.docsUrl();
idle("Draw a digit to start.");
chooseModel();
