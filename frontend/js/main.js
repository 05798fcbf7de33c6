// Wires the page: the drawing pad, live recognition, upload, samples, the model panel.
import * as api from "./api.js";
import { DrawingPad } from "./canvas.js";
import { classBars, confusionMatrix, lineChart, pct, probabilityBars } from "./charts.js";

const $ = (selector) => document.querySelector(selector);
const LIVE_DELAY_MS = 120; // while drawing: at most one request per pause this long
const NOT_A_DIGIT = "not_a_digit"; // the correction "this is not a digit", as the API names it

const state = {
  model: undefined, // the chosen model's name; undefined = the API's default
  inflight: null, // AbortController of the newest prediction request
  sequence: 0, // only the newest request may update the page
  timer: null,
  lastInput: null, // what the shown result was computed from, in full, for a correction
  lastResult: null,
};

// --- Results -----------------------------------------------------------------------------

function showStatus(message) {
  const banner = $("#api-status");
  banner.hidden = !message;
  banner.textContent = message ?? "";
}

function quickAnswer(text, className = "") {
  const quick = $("#quick-answer");
  quick.textContent = text;
  quick.className = `quick-answer ${className}`.trim();
}

function showIdle(text) {
  $("#prediction").textContent = "?";
  $("#prediction").className = "prediction";
  $("#announce").textContent = text;
  $("#guess").hidden = true;
  $("#processed").hidden = true;
  $("#bars").replaceChildren();
  $("#latency").textContent = "";
  $("#truth").hidden = true;
  $("#feedback").hidden = true;
  quickAnswer(text);
  state.lastResult = null;
}

function showResult(result, truth) {
  const digit = result.is_digit;
  const verdict = truth === undefined ? "" : truth === result.prediction ? " right" : " wrong";
  $("#prediction").textContent = digit ? result.prediction : "✗";
  $("#prediction").className = "prediction" + (digit ? "" : " not-digit") + verdict;
  let sentence = digit
    ? `The network reads ${result.prediction}, ${pct(result.confidence)} confident.`
    : `That doesn't look like a digit (best guess: ${result.prediction}, ${pct(result.confidence)}).`;
  if (truth !== undefined) {
    sentence += truth === result.prediction ? ` Correct: it is a ${truth}.` : ` Mistake: it is a ${truth}.`;
  }
  $("#announce").textContent = sentence;
  $("#guess").hidden = digit;
  $("#guess").textContent = digit ? "" : `best guess ${result.prediction} · ${pct(result.confidence)}`;
  quickAnswer(
    digit ? `${result.prediction} · ${pct(result.confidence)}` : "That doesn't look like a digit",
    digit ? "" : "not-digit",
  );
  const truthLine = $("#truth");
  truthLine.hidden = truth === undefined;
  truthLine.textContent = truth === undefined ? "" : `True label ${truth} · predicted ${result.prediction}`;
  $("#processed").src = result.processed_image;
  $("#processed").hidden = false;
  probabilityBars($("#bars"), result.labels, result.probabilities, result.prediction);
  const score = `looks like a digit: ${pct(result.digit_score)}`;
  $("#latency").textContent =
    `${result.model.name} ${result.model.version} · ${score} · ${result.elapsed_ms.toFixed(1)} ms on the server`;
  state.lastResult = result;
  $("#feedback").hidden = truth !== undefined;
  $("#feedback-status").textContent = "";
}

function showError(error, { photo = false } = {}) {
  if (error.name === "AbortError") return;
  if (error.code === "empty_image") {
    showIdle(photo ? "No digit found in this photo: try more light or a darker pen." : "Nothing drawn yet: draw a digit.");
    return;
  }
  if (error.code === "unreachable") showStatus(error.message);
  showIdle(`Could not recognise that: ${error.message}`);
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
    showResult(result, truth);
  } catch (error) {
    if (mine === state.sequence) showError(error, { photo });
  } finally {
    if (state.inflight === controller) state.inflight = null;
  }
}

// --- Drawing -----------------------------------------------------------------------------

const pad = new DrawingPad($("#pad"));

function recogniseDrawing() {
  clearTimeout(state.timer);
  if (pad.isEmpty) {
    state.inflight?.abort();
    state.sequence++;
    if (!pad.picture) showIdle("Draw a digit to start.");
    return;
  }
  const upload = pad.toUploadDataURL(); // what is sent: the ink's box, small
  state.lastInput = () => pad.toDataURL(); // what a correction keeps: the whole drawing
  recognise((signal) => api.predictImage(upload, { model: state.model, signal }));
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
  recognise((signal) => api.predictFile(file, { model: state.model, signal }), { photo: true });
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

// --- Feedback ----------------------------------------------------------------------------

const digitButtons = $("#feedback .digit-buttons");
for (let d = 0; d <= 9; d++) {
  const button = document.createElement("button");
  button.type = "button";
  button.textContent = String(d);
  button.setAttribute("aria-label", `It was a ${d}`);
  button.addEventListener("click", () => sendCorrection(String(d)));
  digitButtons.append(button);
}
$("#not-a-digit").addEventListener("click", () => sendCorrection(NOT_A_DIGIT));

async function sendCorrection(label) {
  const result = state.lastResult;
  if (!result || !state.lastInput) return;
  const status = $("#feedback-status");
  status.textContent = "Sending…";
  try {
    await api.sendFeedback({
      image: typeof state.lastInput === "function" ? state.lastInput() : state.lastInput,
      predicted: result.is_digit ? result.prediction : NOT_A_DIGIT,
      label,
      model: result.model.name,
      modelVersion: result.model.version,
    });
    const saved = label === NOT_A_DIGIT ? "as not a digit" : `as a ${label}`;
    status.textContent = `Thank you! Saved ${saved}; it will help train the next model.`;
  } catch (error) {
    status.textContent = `Could not save the correction: ${error.message}`;
  }
}

// --- Samples -----------------------------------------------------------------------------

async function loadSamples() {
  const gallery = $("#gallery");
  gallery.setAttribute("aria-busy", "true");
  try {
    const digit = $("#sample-digit").value;
    const { images } = await api.displayImages({ count: 12, digit: digit === "" ? undefined : digit });
    gallery.replaceChildren(
      ...images.map((sample) => {
        const item = document.createElement("li");
        const button = document.createElement("button");
        button.type = "button";
        button.className = "sample";
        button.dataset.label = sample.label;
        button.innerHTML = `<img alt="" width="56" height="56"><span class="sample-mark" aria-hidden="true"></span>`;
        button.querySelector("img").src = sample.image;
        button.setAttribute("aria-label", `Sample ${sample.id}, a ${sample.label}: predict it`);
        button.addEventListener("click", () => predictSample(button, sample));
        item.append(button);
        return item;
      }),
    );
    showStatus(null);
  } catch (error) {
    if (error.code === "unreachable") showStatus(error.message);
    else showStatus(`Samples unavailable: ${error.message}`);
  } finally {
    gallery.removeAttribute("aria-busy");
  }
}

function predictSample(button, sample) {
  state.lastInput = sample.image;
  pad.showPicture(sample.image, { pixelated: true }); // the pad shows the sample, scaled
  recognise(
    async (signal) => {
      const result = await api.predictImage(sample.image, { model: state.model, signal });
      const right = result.prediction === sample.label;
      button.classList.toggle("right", right);
      button.classList.toggle("wrong", !right);
      button.querySelector(".sample-mark").textContent = right ? "✓" : `✗ ${result.prediction}`;
      return result;
    },
    { truth: sample.label },
  );
  $("#draw").scrollIntoView({ behavior: "smooth", block: "nearest" });
}

$("#new-samples").addEventListener("click", loadSamples);
$("#sample-digit").addEventListener("change", loadSamples);

// --- The model ---------------------------------------------------------------------------

async function loadModel(name) {
  try {
    const info = await api.modelInfo(name);
    state.model = info.name;
    renderModel(info);
    showStatus(null);
    if (!pad.isEmpty) recogniseDrawing();
  } catch (error) {
    if (error.code === "unreachable") showStatus(error.message);
    else showStatus(`Model information unavailable: ${error.message}`);
  }
}

function renderModel(info) {
  const select = $("#model-select");
  select.replaceChildren(...info.available_models.map((name) => new Option(name, name, false, name === info.name)));
  const test = info.metrics.test;
  const rule = info.not_a_digit;
  const facts = [
    ["Name", `${info.name} (${info.architecture}${info.ensemble_size > 1 ? `, ensemble of ${info.ensemble_size}` : ""})`],
    ["Version", info.version],
    ["Parameters", info.parameter_count.toLocaleString("en")],
    ["Input", info.deskews_input ? "MNIST-style 28×28, then deskewed (slant removed)" : "MNIST-style 28×28"],
    ["Test accuracy", `${pct(test.accuracy, 2)} of ${test.samples.toLocaleString("en")} MNIST test images`],
    ["Not a digit", rule ? notADigitFact(rule) : "not told apart"],
    ["Trained", new Date(info.created).toISOString().slice(0, 10)],
  ];
  $("#model-facts").replaceChildren(
    ...facts.flatMap(([term, value]) => {
      const dt = document.createElement("dt");
      dt.textContent = term;
      const dd = document.createElement("dd");
      dd.textContent = value;
      return [dt, dd];
    }),
  );
  confusionMatrix($("#confusion"), test.confusion_matrix, info.labels);
  classBars($("#per-class"), test.per_class.map((row) => ({ label: row.label, value: row.recall })));
  const history = info.training.history;
  // An ensemble's card carries every network's history; the curves are the first network's.
  const whose = info.ensemble_size > 1 ? ` (network 1 of ${info.ensemble_size})` : "";
  lineChart($("#curve-loss"), [{ name: "training loss", values: history.map((h) => h.loss) }], {
    title: `Loss per epoch${whose}`,
  });
  lineChart(
    $("#curve-acc"),
    [
      { name: "train", values: history.map((h) => h.train_accuracy) },
      { name: "validation", values: history.map((h) => h.val_accuracy ?? NaN) },
    ],
    { title: `Accuracy per epoch${whose}`, format: (v) => pct(v, 1) },
  );
  // One collapsible table per architecture: an ensemble of two kinds of network shows both.
  $("#layers").replaceChildren(...info.architectures.map((arch) => layerTable(arch, info.architectures.length > 1)));
}

function notADigitFact(rule) {
  const how = rule.method === "class" ? "learned in training (its own output)" : "from its highest probability";
  return `${how}; threshold ${rule.threshold.toFixed(3)}, chosen on validation data`;
}

function layerTable(arch, several) {
  const details = document.createElement("details");
  details.className = "layers-block";
  details.open = !several; // one architecture: shown; several: each a click away
  const summary = document.createElement("summary");
  const networks = `${arch.networks} network${arch.networks > 1 ? "s" : ""}`;
  summary.textContent = `${arch.name}: ${networks}, ${arch.parameter_count.toLocaleString("en")} parameters each, ${arch.layers.length} layers`;
  details.append(summary);
  const table = document.createElement("table");
  table.className = "layers";
  const head = table.createTHead().insertRow();
  for (const name of ["layer", "output", "parameters"]) {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = name;
    head.append(th);
  }
  const body = table.createTBody();
  for (const layer of arch.layers) {
    const row = body.insertRow();
    const detail = Object.entries(layer.config).map(([k, v]) => `${k} ${v}`).join(", ");
    row.insertCell().textContent = detail ? `${layer.type} (${detail})` : layer.type;
    row.insertCell().textContent = layer.output_shape.join("×");
    row.insertCell().textContent = layer.parameters.toLocaleString("en");
  }
  details.append(table);
  return details;
}

$("#model-select").addEventListener("change", (event) => loadModel(event.target.value));

// --- Start -------------------------------------------------------------------------------

for (const link of [$("#docs-link"), $("#docs-link-2")]) link.href = api.docsUrl();
showIdle("Draw a digit to start.");
loadModel();
loadSamples();
