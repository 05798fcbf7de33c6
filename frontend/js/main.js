// Wires the page: the model choice, the drawing pad with live recognition, uploads, samples,
// corrections and the model panel. Each view lives in its own module; this one holds the
// state they share and decides which answer may land. "Read as" chooses a model that reads one
// character (a digit model, the characters model), or "Numbers & words": a wider pad read whole
// by predict-text, as a number or as words.
import * as api from "./api.js";
import { showError, showIdle, showResult, showStatus } from "./answer.js";
import { DrawingPad } from "./canvas.js";
import { offerCorrections } from "./corrections.js";
import { renderModel } from "./model-panel.js";
import { hideReading, showReading } from "./reading.js";
import { loadSamples, markSample, offerSampleLabels } from "./samples.js";

const $ = (selector) => document.querySelector(selector);
const LIVE_DELAY_MS = 120; // while drawing: at most one request per pause this long
const MODEL_RETRY_MS = 5000; // the API unreachable: the model list is asked for again this often
const TEXT = "@text"; // the "Read as" choice "Numbers & words"
const LINE_UPLOAD_HEIGHT = 112; // a line of writing is sent this many pixels tall at most
const wide = () => (window.matchMedia("(max-width: 759px)").matches ? 2.2 : 3); // the line pad's width / height

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
  $("#read-as-number").hidden = true;
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
const textOptions = (signal) => ({ alphabet: state.alphabet, topK: 3, signal });

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
document.addEventListener("keydown", (event) => {
  const typing = ["INPUT", "SELECT", "TEXTAREA"].includes(document.activeElement?.tagName);
  if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "z" && !typing) {
    event.preventDefault();
    pad.undo();
  } else if (event.key === "Escape" && !typing) {
    pad.clear();
  }
});

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

for (const input of [$("#upload"), $("#camera")]) {
  input.addEventListener("change", (event) => {
    recogniseFile(event.target.files[0]);
    event.target.value = "";
  });
}
const drop = $("#drop");
drop.addEventListener("dragover", (event) => {
  event.preventDefault();
  drop.classList.add("over");
});
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (event) => {
  event.preventDefault();
  drop.classList.remove("over");
  recogniseFile(event.dataTransfer.files[0]);
});

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

const KINDS = { digits: "Digits", characters: "Letters & digits" };

function offerModels(models, chosen) {
  const select = $("#model-choice");
  const text = document.createElement("optgroup");
  text.label = "Numbers & words";
  text.append(new Option("Numbers & words (read a whole line)", TEXT, false, state.text));
  select.replaceChildren(
    ...Object.entries(KINDS)
      .map(([kind, title]) => {
        const group = document.createElement("optgroup");
        group.label = title;
        for (const m of models.filter((m) => (m.reads ?? "digits") === kind)) {
          const facts = [m.default ? "default" : "", m.networks > 1 ? `${m.networks} networks` : ""].filter(Boolean);
          const label = `${title}: ${m.name}${facts.length ? ` (${facts.join(", ")})` : ""}`;
          group.append(new Option(label, m.name, false, !state.text && m.name === chosen));
        }
        return group;
      })
      .filter((group) => group.children.length),
    text,
  );
}

/** "Numbers & words" on or off: the pad widens for a line, the answer becomes a reading. */
function setTextMode(on) {
  // Back to the square pad: writing that ran past its right edge would be read cut off.
  if (!on && state.text && pad.strokes.flat().some(([x]) => x > 1)) pad.clear();
  state.text = on;
  $("#text-kind").hidden = !on;
  $("#pad").classList.toggle("wide", on);
  pad.setAspect(on ? wide() : 1);
  $("#draw-title").textContent = on ? "Write a number or a word" : state.reads === "characters" ? "Draw a letter or a digit" : "Draw a digit";
  $("#pad").setAttribute("aria-label", on ? "Writing area: write a number or a word" : state.reads === "characters" ? "Drawing area: draw one letter or digit" : "Drawing area: draw one digit, 0 to 9");
  $("#result-title").textContent = on ? "What the reader reads" : "What the network sees";
  if (!on) hideReading();
}

/** Read what is on the pad (or the photo last read) again, as it is chosen now. */
function readAgain() {
  if (state.lastFile) recogniseFile(state.lastFile);
  else if (!pad.isEmpty) recogniseDrawing();
  else if (!pad.picture) idle();
}

async function chooseModel(name) {
  try {
    const info = await api.modelInfo(name);
    const before = dataset();
    state.model = info.name;
    state.reads = info.input_recipe === "emnist" ? "characters" : "digits";
    state.labels = info.labels;
    setTextMode(false); // a model chosen: one character at a time again
    offerModels(info.models, info.name);
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
async function chooseText(alphabet = state.alphabet) {
  state.alphabet = alphabet;
  for (const radio of document.querySelectorAll('input[name="text-kind"]')) radio.checked = radio.value === alphabet;
  $("#model-choice").value = TEXT;
  setTextMode(true);
  readAgain();
  try {
    renderModel(await api.modelInfo(alphabet === "characters" ? "characters" : undefined));
  } catch (error) {
    showStatus(`Model information unavailable: ${error.message}`);
  }
}

$("#model-choice").addEventListener("change", (event) =>
  event.target.value === TEXT ? chooseText() : chooseModel(event.target.value),
);
for (const radio of document.querySelectorAll('input[name="text-kind"]')) {
  radio.addEventListener("change", () => chooseText(radio.value));
}
$("#read-as-number").addEventListener("click", () => chooseText("digits"));
window.matchMedia("(max-width: 759px)").addEventListener("change", () => state.text && pad.setAspect(wide()));

// --- Start -------------------------------------------------------------------------------

for (const link of [$("#docs-link"), $("#docs-link-2")]) link.href = api.docsUrl();
idle("Draw a digit to start.");
chooseModel();
