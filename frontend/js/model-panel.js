// The model panel: the chosen model's facts, confusion matrix, per-class recall, training
// curves and layers, all from its card (GET /api/model-info/).
import { classBars, confusionMatrix, lineChart, mostConfused, pct } from "./charts.js";

// Handwriting's look-alikes among the 47 characters: a writer's 0 and O, or 9 and g, can be
// the same shape, and no reader tells them apart without context.
const LOOK_ALIKES = [["0", "O"], ["1", "I", "L"], ["9", "g", "q"], ["F", "f"], ["2", "Z"], ["5", "S"], ["6", "b"], ["4", "h"], ["8", "B"]];
const WEAK = 0.7; // a class read right less often than this is named with its look-alikes

const $ = (selector) => document.querySelector(selector);

const plural = (count, word) => `${count.toLocaleString("en")} ${word}${count === 1 ? "" : "s"}`;

export function renderModel(info) {
  const test = info.metrics.test;
  const characters = info.input_recipe === "emnist";
  const networks = info.ensemble_size > 1 ? `, an ensemble of ${info.ensemble_size} networks` : "";
  const testSet = characters ? "EMNIST test characters (by their fixed split)" : "MNIST test images";
  const facts = [
    ["Name", `${info.name} (${info.architecture}${networks})`],
    ["Version", info.version],
    ["Parameters", info.parameter_count.toLocaleString("en")],
    ["Reads", characters ? `${info.labels.length} handwritten characters: ${info.labels.join(" ")}` : "the digits 0–9"],
    ["Input", inputFact(info)],
    ["Test accuracy", `${pct(test.accuracy, 2)} of ${test.samples.toLocaleString("en")} ${testSet}`],
    ["Not a digit", notADigitFact(info.not_a_digit)],
    ["Trained", new Date(info.created).toISOString().slice(0, 10)],
  ];
  if (characters) {
    const recalls = test.per_class.map((row) => row.recall);
    facts.splice(6, 0, ["Balanced accuracy", `${pct(recalls.reduce((a, b) => a + b, 0) / recalls.length, 2)} (mean recall per class)`]);
  }
  $("#model-facts").replaceChildren(
    ...facts.flatMap(([term, value]) => {
      const dt = document.createElement("dt");
      dt.textContent = term;
      const dd = document.createElement("dd");
      if (term === "Version") {
        // A narrow screen may break it after the date, never inside the date or the hash.
        const [date, hash] = value.split(/\.(?=[^.]*$)/);
        dd.append(date, ...(hash ? [".", document.createElement("wbr"), hash] : []));
        dd.className = "version";
      } else {
        dd.textContent = value;
      }
      return [dt, dd];
    }),
  );
  $("#model-title").textContent = `The model: ${info.name}`;
  confusionMatrix($("#confusion"), test.confusion_matrix, info.labels);
  confusedPairs(test.confusion_matrix, info.labels);
  $("#per-class-title").textContent = characters ? "Accuracy per character" : "Accuracy per digit";
  // Digits differ in their last points, so their bars stretch 95–100%; characters span the
  // whole axis, where a 40% class looks like 40%, not like nothing.
  const floor = characters ? 0 : 0.95;
  $("#per-class-note").textContent = `Recall on the test set; bars span ${pct(floor, 0)}–100%.`;
  classBars($("#per-class"), test.per_class.map((row) => ({ label: row.label, value: row.recall })), floor);
  weakestClasses(characters ? test : null, info.labels);
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
    { title: `Accuracy per epoch${whose}`, percent: true },
  );
  // One collapsible table per architecture: an ensemble of two kinds of network shows both.
  $("#layers").replaceChildren(...info.architectures.map((arch) => layerTable(arch, info.architectures.length > 1)));
}

/** The most confused pairs, listed beside the matrix (tap-free: on a phone the matrix scrolls). */
function confusedPairs(matrix, labels) {
  const list = $("#confused-pairs");
  list.replaceChildren(
    ...mostConfused(matrix, labels).map(({ truth, read, count }) => {
      const item = document.createElement("li");
      item.textContent = `${truth} read as ${read}: ${count.toLocaleString("en")}`;
      return item;
    }),
  );
}

/** The classes read right less than WEAK of the time, each with what it is most often read as
 * and the look-alike group it belongs to: why those bars are short. */
function weakestClasses(test, labels) {
  const note = $("#weakest");
  note.hidden = !test;
  if (!test) return;
  const weak = test.per_class
    .map((row, i) => ({ ...row, i }))
    .filter((row) => row.recall < WEAK)
    .sort((a, b) => a.recall - b.recall);
  const items = weak.map((row) => {
    const counts = test.confusion_matrix[row.i];
    const other = counts.reduce((best, n, j) => (j !== row.i && n > counts[best] ? j : best), row.i === 0 ? 1 : 0);
    const group = LOOK_ALIKES.find((g) => g.includes(row.label));
    const item = document.createElement("li");
    item.textContent = `${row.label} ${pct(row.recall, 0)}: most often read as ${labels[other]}` + (group ? ` (${group.join(" / ")} look alike)` : "");
    return item;
  });
  note.replaceChildren(
    Object.assign(document.createElement("p"), {
      textContent: "The weakest are handwriting's look-alikes, which no reader tells apart without context:",
    }),
    Object.assign(document.createElement("ul"), { className: "weak-list" }),
  );
  note.querySelector("ul").append(...items);
}

function inputFact(info) {
  if (info.input_recipe === "emnist") return "EMNIST-style 28×28 (cropped to the ink, centred in a square frame)";
  return info.deskews_input ? "MNIST-style 28×28, then deskewed (slant removed)" : "MNIST-style 28×28";
}

function notADigitFact(rule) {
  switch (rule.method) {
    case "class":
      return `learned in training (its own output); threshold ${rule.threshold.toFixed(3)}, chosen on validation data`;
    case "gate":
      return `told by ${rule.gate}'s own "not a digit" output (threshold ${rule.threshold.toFixed(3)})`;
    case "digit_labels":
      return "a letter is answered as a letter; is_digit says whether the answer is one of 0–9";
    default:
      return `from its highest probability; threshold ${rule.threshold.toFixed(3)}, chosen on validation data`;
  }
}

function layerTable(arch, several) {
  const details = document.createElement("details");
  details.className = "layers-block";
  details.open = !several; // one architecture: shown; several: each a click away
  const summary = document.createElement("summary");
  const each = arch.networks > 1 ? " each" : "";
  summary.textContent = `${arch.name}: ${plural(arch.networks, "network")}, ${plural(arch.parameter_count, "parameter")}${each}, ${plural(arch.layers.length, "layer")}`;
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
