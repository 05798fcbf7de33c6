// The drawing pad: pointer events (mouse, touch, pen), round strokes whose width scales with
// the pad, sharp on high-DPI screens. Strokes are kept as points in units of the pad's height
// (x from 0 to its aspect, y from 0 to 1) so the pad can be resized, widened for a line of
// writing, undone and exported at any resolution. The pad can also show a picture (a sample,
// an uploaded photo) so that it always shows what is being recognised; drawing again starts a
// new drawing. Boxes (the characters a reading found) can be drawn over it until it changes.

const STROKE_WIDTH = 0.072; // of the pad's height: a 20 px brush on a 280 px canvas
const EXPORT_SIZE = 280; // the exported drawing's height
const LINE_SHARE = 0.5; // of the pad's height: the most one line of writing takes
const UPLOAD_MAX = 112; // what is sent: the ink's box, its longer side at most this many pixels
const UPLOAD_MARGIN = 0.08; // around the ink, as a share of the box's longer side

export class DrawingPad extends EventTarget {
  constructor(canvas) {
    super();
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d");
    this.strokes = [];
    this.current = null;
    this.picture = null; // {image, pixelated, background} shown instead of strokes
    this.aspect = 1; // width / height
    this.boxes = []; // [{x, y, w, h, label}] in pad units, drawn over the strokes
    this.upload = null; // where the last upload lies on the pad: {x0, y0, scale} (scale: pixels per unit)
    this.resize = this.resize.bind(this);
    new ResizeObserver(this.resize).observe(canvas);
    canvas.addEventListener("pointerdown", (e) => this.#start(e));
    canvas.addEventListener("pointermove", (e) => this.#move(e));
    for (const type of ["pointerup", "pointercancel"]) canvas.addEventListener(type, (e) => this.#end(e));
    // Touch drawing must not scroll or zoom the page (CSS touch-action: none does the rest).
    canvas.addEventListener("touchmove", (e) => e.preventDefault(), { passive: false });
    this.resize();
  }

  get isEmpty() {
    return this.strokes.length === 0;
  }

  resize() {
    const ratio = window.devicePixelRatio || 1;
    const width = Math.round(this.canvas.clientWidth * ratio);
    const height = Math.round(width / this.aspect);
    if (width > 0 && (this.canvas.width !== width || this.canvas.height !== height)) {
      this.canvas.width = width;
      this.canvas.height = height;
      this.#redraw();
    }
  }

  /** Widen (or square) the pad: `aspect` is its width over its height. The drawing stays. */
  setAspect(aspect) {
    this.aspect = aspect;
    this.boxes = [];
    this.resize();
    this.#redraw();
  }

  /** Outline these boxes (in the pixels of what was read: the last upload, or the picture
   * shown) with their labels: [{box: [x, y, w, h], label}]. */
  showBoxes(boxes) {
    const at = this.picture ? this.#pictureAt() : this.upload;
    this.boxes = at
      ? boxes.map(({ box: [x, y, w, h], label }) => ({
          x: at.x0 + x / at.scale, y: at.y0 + y / at.scale, w: w / at.scale, h: h / at.scale, label,
        }))
      : [];
    this.#redraw();
  }

  clear() {
    this.strokes = [];
    this.current = null;
    this.picture = null;
    this.boxes = [];
    this.#redraw();
    this.#emit("change", { final: true });
  }

  undo() {
    if (!this.strokes.length) return;
    this.strokes.pop();
    this.boxes = [];
    this.#redraw();
    this.#emit("change", { final: true });
  }

  /** Show a picture (a data URL or object URL) scaled to fit the pad, in place of the drawing.
   * `pixelated`: keep its pixels square (a 28×28 sample); `background`: the pad around it. */
  showPicture(src, { pixelated = false, background = "#000" } = {}) {
    const image = new Image();
    image.onload = () => {
      this.strokes = [];
      this.boxes = [];
      this.picture = { image, pixelated, background };
      this.#redraw();
    };
    image.src = src;
  }

  /** The whole drawing as a PNG data URL: white ink on black, 280 px tall (280×280 square). */
  toDataURL() {
    const out = document.createElement("canvas");
    out.height = EXPORT_SIZE;
    out.width = Math.round(EXPORT_SIZE * this.aspect);
    this.#paint(out.getContext("2d"), EXPORT_SIZE, 0, 0, out.width, out.height);
    return out.toDataURL("image/png");
  }

  /** What the app sends: the drawing cropped to its ink with a margin, scaled so that its
   * longer side is at most UPLOAD_MAX px (a few KB rather than the whole canvas). The server
   * crops, fits and centres again: its preprocessing stays the authority. */
  toUploadDataURL({ maxHeight } = {}) {
    const points = this.strokes.flat();
    if (!points.length) {
      this.upload = { x0: 0, y0: 0, scale: EXPORT_SIZE };
      return this.toDataURL();
    }
    const r = STROKE_WIDTH / 2;
    let x0 = Math.min(...points.map((p) => p[0])) - r, x1 = Math.max(...points.map((p) => p[0])) + r;
    let y0 = Math.min(...points.map((p) => p[1])) - r, y1 = Math.max(...points.map((p) => p[1])) + r;
    const margin = UPLOAD_MARGIN * Math.max(x1 - x0, y1 - y0);
    [x0, y0] = [Math.max(0, x0 - margin), Math.max(0, y0 - margin)];
    [x1, y1] = [Math.min(this.aspect, x1 + margin), Math.min(1, y1 + margin)];
    // Pixels per unit: the longer side at most UPLOAD_MAX (one character); for writing, a line
    // (half the pad's height at most) `maxHeight` tall however long it is, two lines twice that.
    const fit = maxHeight ? maxHeight / Math.min(y1 - y0, LINE_SHARE) : UPLOAD_MAX / Math.max(x1 - x0, y1 - y0);
    const size = Math.min(EXPORT_SIZE, fit);
    this.upload = { x0, y0, scale: size };
    const out = document.createElement("canvas");
    out.width = Math.max(1, Math.round((x1 - x0) * size));
    out.height = Math.max(1, Math.round((y1 - y0) * size));
    this.#paint(out.getContext("2d"), size, -x0 * size, -y0 * size, out.width, out.height);
    return out.toDataURL("image/png");
  }

  #point(event) {
    const rect = this.canvas.getBoundingClientRect();
    return [(event.clientX - rect.left) / rect.height, (event.clientY - rect.top) / rect.height];
  }

  #start(event) {
    if (event.button !== undefined && event.button > 0) return;
    event.preventDefault();
    this.canvas.setPointerCapture?.(event.pointerId);
    this.picture = null; // drawing starts a new drawing
    this.boxes = [];
    this.current = [this.#point(event)];
    this.strokes.push(this.current);
    this.#redraw();
    this.#emit("change", { final: false });
  }

  #move(event) {
    if (!this.current) return;
    event.preventDefault();
    const events = event.getCoalescedEvents?.() ?? [event];
    for (const e of events.length ? events : [event]) this.current.push(this.#point(e));
    this.#redraw();
    this.#emit("change", { final: false });
  }

  #end(event) {
    if (!this.current) return;
    event.preventDefault();
    this.current = null;
    this.#emit("change", { final: true });
  }

  #redraw() {
    const { width, height } = this.canvas;
    if (this.picture) this.#paintPicture(width, height);
    else this.#paint(this.ctx, height, 0, 0, width, height);
    this.#paintBoxes(height);
  }

  #paintPicture(width, height) {
    const { image, pixelated, background } = this.picture;
    const ctx = this.ctx;
    ctx.fillStyle = background;
    ctx.fillRect(0, 0, width, height);
    const scale = Math.min(width / image.naturalWidth, height / image.naturalHeight);
    const w = image.naturalWidth * scale, h = image.naturalHeight * scale;
    ctx.imageSmoothingEnabled = !pixelated;
    ctx.drawImage(image, (width - w) / 2, (height - h) / 2, w, h);
    ctx.imageSmoothingEnabled = true;
  }

  /** Where the shown picture's pixels lie on the pad: {x0, y0, scale} as for an upload. */
  #pictureAt() {
    const { image } = this.picture;
    const { width, height } = this.canvas;
    const k = Math.min(width / image.naturalWidth, height / image.naturalHeight);
    return {
      x0: (width - image.naturalWidth * k) / 2 / height,
      y0: (height - image.naturalHeight * k) / 2 / height,
      scale: height / k,
    };
  }

  /** Each found character's box, and its label above it, over the drawing. */
  #paintBoxes(scale) {
    const ctx = this.ctx;
    const line = Math.max(1, scale / 140);
    ctx.font = `bold ${Math.round(scale / 11)}px system-ui, sans-serif`;
    ctx.textBaseline = "bottom";
    for (const { x, y, w, h, label } of this.boxes) {
      ctx.strokeStyle = "#4fc3f7";
      ctx.lineWidth = line;
      ctx.strokeRect(x * scale, y * scale, w * scale, h * scale);
      ctx.fillStyle = "#4fc3f7";
      ctx.fillText(label, x * scale, Math.max(scale / 11, y * scale - line));
    }
  }

  /** The strokes, `scale` pixels per unit, shifted by (dx, dy), on a black w×h background. */
  #paint(ctx, scale, dx, dy, w, h) {
    ctx.fillStyle = "#000";
    ctx.fillRect(0, 0, w, h);
    ctx.strokeStyle = ctx.fillStyle = "#fff";
    ctx.lineWidth = STROKE_WIDTH * scale;
    ctx.lineCap = ctx.lineJoin = "round";
    const at = ([x, y]) => [x * scale + dx, y * scale + dy];
    for (const stroke of this.strokes) {
      const [x0, y0] = at(stroke[0]);
      if (stroke.length === 1) {
        ctx.beginPath();
        ctx.arc(x0, y0, ctx.lineWidth / 2, 0, Math.PI * 2);
        ctx.fill();
        continue;
      }
      // Quadratic curves through the midpoints: smooth strokes from jittery pointer samples.
      ctx.beginPath();
      ctx.moveTo(x0, y0);
      for (let i = 1; i < stroke.length - 1; i++) {
        const [x, y] = at(stroke[i]);
        const [nx, ny] = at(stroke[i + 1]);
        ctx.quadraticCurveTo(x, y, (x + nx) / 2, (y + ny) / 2);
      }
      const [lx, ly] = at(stroke[stroke.length - 1]);
      ctx.lineTo(lx, ly);
      ctx.stroke();
    }
  }

  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}
