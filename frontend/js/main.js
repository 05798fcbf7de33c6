// Wires the page: the model choice, the drawing pad with live recognition, uploads, samples,
// corrections and the model panel. Each view lives in its own module; this one holds the
// state they share and decides which answer may land.
import * as api from "./api.js";
import { showError, showIdle, showResult, showStatus } from "./answer.js";
import { DrawingPad } from "./canvas.js";
import { offerCorrections } from "./corrections.js";
import { renderModel } from "./model-panel.js";
import { loadSamples, markSample, offerSampleLabels } from "./samples.js";

const $ = (selector) => document.querySelector(selector);
const LIVE_DELAY_MS = 120; // while drawing: at most one request per pause this long
const MODEL_RETRY_MS = 5000; // the API unreachable: the model list is asked for again this often

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
};

const what = () => (state.reads === "characters" ? "a letter or a digit" : "a digit");
const topK = () => (state.reads === "characters" ? 5 : 3);

function idle(text = `Draw ${what()} to start.`) {
  showIdle(text);
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
    showResult(result, { truth, reads: state.reads });
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
  const upload = pad.toUploadDataURL(); // what is sent: the ink's box, small
  state.lastInput = () => pad.toDataURL(); // what a correction keeps: the whole drawing
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
  recognise((signal) => api.predictFile(file, options(signal)), { photo: true });
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
  pad.showPicture(sample.image, { pixelated: true }); // the pad shows the sample, scaled
  recognise(
    async (signal) => {
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
  select.replaceChildren(
    ...Object.entries(KINDS)
      .map(([kind, title]) => {
        const group = document.createElement("optgroup");
        group.label = title;
        for (const m of models.filter((m) => (m.reads ?? "digits") === kind)) {
          const facts = [m.default ? "default" : "", m.networks > 1 ? `${m.networks} networks` : ""].filter(Boolean);
          const text = `${title}: ${m.name}${facts.length ? ` (${facts.join(", ")})` : ""}`;
          group.append(new Option(text, m.name, false, m.name === chosen));
        }
        return group;
      })
      .filter((group) => group.children.length),
  );
}

async function chooseModel(name) {
  try {
    const info = await api.modelInfo(name);
    const before = dataset();
    state.model = info.name;
    state.reads = info.input_recipe === "emnist" ? "characters" : "digits";
    state.labels = info.labels;
    offerModels(info.models, info.name);
    renderModel(info);
    const characters = state.reads === "characters";
    $("#draw-title").textContent = characters ? "Draw a letter or a digit" : "Draw a digit";
    $("#pad").setAttribute("aria-label", characters ? "Drawing area: draw one letter or digit" : "Drawing area: draw one digit, 0 to 9");
    offerCorrections(info.labels, { reads: state.reads, current: () => ({ result: state.lastResult, input: state.lastInput }) });
    offerSampleLabels(info.labels, dataset());
    showStatus(null);
    if (dataset() !== before || !$("#gallery").children.length) refreshSamples();
    if (!pad.isEmpty) recogniseDrawing();
    else if (!pad.picture) idle();
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

$("#model-choice").addEventListener("change", (event) => chooseModel(event.target.value));

// --- Start -------------------------------------------------------------------------------

for (const link of [$("#docs-link"), $("#docs-link-2")]) link.href = api.docsUrl();
idle("Draw a digit to start.");
chooseModel();
