// Small chart helpers of our own: probability bars, a confusion-matrix heat map, line charts.

const SVG = "http://www.w3.org/2000/svg";

function el(name, attrs = {}, text) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

const pct = (p, digits = 1) => `${(p * 100).toFixed(digits)}%`;

/** One horizontal bar per label; the predicted label highlighted (none when `predicted` is null). */
export function probabilityBars(container, labels, probabilities, predicted) {
  container.replaceChildren();
  labels.forEach((label, i) => {
    const row = document.createElement("div");
    row.className = "bar-row" + (label === predicted ? " top" : "");
    row.setAttribute("role", "listitem");
    row.innerHTML = `<span class="bar-label">${label}</span>
      <span class="bar-track"><span class="bar-fill"></span></span>
      <span class="bar-value"></span>`;
    row.querySelector(".bar-fill").style.width = pct(probabilities[i], 2);
    row.querySelector(".bar-value").textContent = pct(probabilities[i]);
    row.setAttribute("aria-label", `${label}: ${pct(probabilities[i])}`);
    container.append(row);
  });
}

// Past this many classes the matrix is drawn at its own size (labels and counts 12 px) in a
// box that scrolls, rather than shrunk to the panel's width, where 47 labels were 3 px high.
const FIT_CLASSES = 12;

/** A heat map of counts[true][predicted], log-scaled so rare mistakes remain visible. */
export function confusionMatrix(container, matrix, labels) {
  const n = labels.length;
  const large = n > FIT_CLASSES;
  const cell = large ? 26 : 34;
  const pad = 40;
  const size = pad + n * cell;
  const svg = el("svg", {
    viewBox: `0 0 ${size + 4} ${size + 4}`,
    role: "img",
    "aria-label": "Confusion matrix: rows are true labels, columns predicted labels",
    class: large ? "confusion confusion-large" : "confusion",
    ...(large ? { width: size + 4, height: size + 4 } : {}),
  });
  const max = Math.max(...matrix.flat());
  svg.append(el("text", { x: pad + (n * cell) / 2, y: 11, "text-anchor": "middle", class: "axis" }, "predicted"));
  svg.append(
    el("text", { x: 10, y: pad + (n * cell) / 2, "text-anchor": "middle", class: "axis",
      transform: `rotate(-90 10 ${pad + (n * cell) / 2})` }, "true"),
  );
  labels.forEach((label, i) => {
    svg.append(el("text", { x: pad + i * cell + cell / 2, y: pad - 6, "text-anchor": "middle" }, label));
    svg.append(el("text", { x: pad - 8, y: pad + i * cell + cell / 2 + 4, "text-anchor": "end" }, label));
  });
  matrix.forEach((row, t) =>
    row.forEach((count, p) => {
      const strength = count ? Math.log1p(count) / Math.log1p(max) : 0;
      const hue = t === p ? 150 : 5;
      const g = el("g", { class: "cm-cell" });
      const rect = el("rect", {
        x: pad + p * cell, y: pad + t * cell, width: cell - 1, height: cell - 1,
        fill: count ? `hsl(${hue} 70% ${92 - strength * 55}%)` : "var(--cm-empty)",
      });
      rect.append(el("title", {}, `true ${labels[t]}, predicted ${labels[p]}: ${count}`));
      g.append(rect);
      if (count) {
        g.append(el("text", { x: pad + p * cell + cell / 2, y: pad + t * cell + cell / 2 + 4,
          "text-anchor": "middle", class: strength > 0.6 ? "light" : "" }, String(count)));
      }
      svg.append(g);
    }),
  );
  container.replaceChildren(svg);
}

/** Round tick values spanning [lo, hi]: steps of 1, 2, 2.5 or 5 times a power of ten, about
 * `count` of them, the first at or below lo and the last at or above hi. */
export function niceTicks(lo, hi, count = 4) {
  if (hi - lo < 1e-12) { lo -= 0.5; hi += 0.5; }
  const rough = (hi - lo) / count;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= rough);
  const first = Math.floor(lo / step + 1e-9) * step;
  const ticks = [];
  for (let v = first; v < hi + step - 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return { ticks, step };
}

/** Lines over epochs. series: [{name, values}] sharing one y range with round ticks; the legend
 * sits above the plot, the axes are labelled with epochs and values (`percent`: as percentages). */
export function lineChart(container, series, { title, percent = false } = {}) {
  const width = 340, height = 200, left = 50, right = 12, top = 40, bottom = 34;
  const all = series.flatMap((s) => s.values).filter((v) => Number.isFinite(v));
  if (!all.length) {
    container.replaceChildren();
    return;
  }
  const { ticks, step } = niceTicks(Math.min(...all), Math.max(...all));
  const lo = ticks[0], hi = ticks[ticks.length - 1];
  const unit = step * (percent ? 100 : 1); // the step as printed: as many decimals as it needs
  let decimals = 0;
  while (decimals < 4 && Math.abs(unit * 10 ** decimals - Math.round(unit * 10 ** decimals)) > 1e-6) decimals++;
  const format = (v) => (percent ? `${(v * 100).toFixed(decimals)}%` : v.toFixed(decimals));
  const epochs = Math.max(...series.map((s) => s.values.length));
  const x = (i) => left + (epochs > 1 ? (i / (epochs - 1)) * (width - left - right) : 0);
  const y = (v) => top + (1 - (v - lo) / (hi - lo)) * (height - top - bottom);
  const svg = el("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": title, class: "line-chart" });
  svg.append(el("text", { x: 4, y: 13, class: "chart-title" }, title));
  for (const v of ticks) {
    svg.append(el("line", { x1: left, x2: width - right, y1: y(v), y2: y(v), class: "grid" }));
    svg.append(el("text", { x: left - 5, y: y(v) + 3.5, "text-anchor": "end", class: "tick" }, format(v)));
  }
  const epochTicks = [...new Set([0, Math.round((epochs - 1) / 2), epochs - 1])];
  for (const i of epochTicks) {
    svg.append(el("line", { x1: x(i), x2: x(i), y1: height - bottom, y2: height - bottom + 4, class: "axis-line" }));
    svg.append(el("text", { x: x(i), y: height - bottom + 14, "text-anchor": "middle", class: "tick" }, String(i + 1)));
  }
  svg.append(el("line", { x1: left, x2: width - right, y1: height - bottom, y2: height - bottom, class: "axis-line" }));
  svg.append(el("text", { x: (left + width - right) / 2, y: height - 3, "text-anchor": "middle", class: "axis" }, "epoch"));
  let legendX = 4;
  series.forEach((s, k) => {
    const points = s.values.map((v, i) => (Number.isFinite(v) ? `${x(i)},${y(v)}` : null)).filter(Boolean);
    svg.append(el("polyline", { points: points.join(" "), class: `series s${k}` }));
    for (const point of points) {
      const [cx, cy] = point.split(",");
      svg.append(el("circle", { cx, cy, r: 2, class: `dot s${k}` }));
    }
    // The legend, in a row above the plot: a short stroke of the series' colour, then its name.
    svg.append(el("line", { x1: legendX, x2: legendX + 14, y1: 27, y2: 27, class: `legend-mark s${k}` }));
    svg.append(el("text", { x: legendX + 18, y: 30.5, class: "legend" }, s.name));
    legendX += 26 + s.name.length * 6;
  });
  container.replaceChildren(svg);
}

/** The `count` largest off-diagonal counts of a confusion matrix: [{truth, read, count}]. */
export function mostConfused(matrix, labels, count = 8) {
  const pairs = [];
  matrix.forEach((row, t) => row.forEach((n, p) => t !== p && n && pairs.push({ truth: labels[t], read: labels[p], count: n })));
  return pairs.sort((a, b) => b.count - a.count).slice(0, count);
}

/** Plain bars for per-class figures (e.g. recall per digit), the track spanning floor–100%. */
export function classBars(container, rows, floor = 0.95) {
  container.replaceChildren();
  for (const { label, value } of rows) {
    const row = document.createElement("div");
    row.className = "bar-row";
    row.setAttribute("role", "listitem");
    row.innerHTML = `<span class="bar-label">${label}</span><span class="bar-track"><span class="bar-fill"></span></span><span class="bar-value"></span>`;
    // Stretch floor–100% over the track: per-class accuracies differ only in the last points.
    row.querySelector(".bar-fill").style.width = pct(Math.max(0, (value - floor) / (1 - floor)));
    row.querySelector(".bar-value").textContent = pct(value, 2);
    container.append(row);
  }
}

export { pct };
