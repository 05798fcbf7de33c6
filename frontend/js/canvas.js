// The drawing pad: pointer events (mouse, touch, pen), round strokes whose width scales with
// the pad, sharp on high-DPI screens. Strokes are kept as points in 0..1 coordinates so the
// pad can be resized, undone and exported at any resolution. The pad can also show a picture
// (a sample, an uploaded photo) so that it always shows what is being recognised; drawing
// again starts a new drawing.

const STROKE_WIDTH = 0.072; // of the pad's side: a 20 px brush on a 280 px canvas
const EXPORT_SIZE = 280;
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
    const side = Math.round(this.canvas.clientWidth * ratio);
    if (side > 0 && this.canvas.width !== side) {
      this.canvas.width = side;
      this.canvas.height = side;
      this.#redraw();
    }
  }

  clear() {
    this.strokes = [];
    this.current = null;
    this.picture = null;
    this.#redraw();
    this.#emit("change", { final: true });
  }

  undo() {
    if (!this.strokes.length) return;
    this.strokes.pop();
    this.#redraw();
    this.#emit("change", { final: true });
  }

  /** Show a picture (a data URL or object URL) scaled to fit the pad, in place of the drawing.
   * `pixelated`: keep its pixels square (a 28×28 sample); `background`: the pad around it. */
  showPicture(src, { pixelated = false, background = "#000" } = {}) {
    const image = new Image();
    image.onload = () => {
      this.strokes = [];
      this.picture = { image, pixelated, background };
      this.#redraw();
    };
    image.src = src;
  }

  /** The whole drawing as a PNG data URL: white ink on black, 280×280. */
  toDataURL() {
    const out = document.createElement("canvas");
    out.width = out.height = EXPORT_SIZE;
    this.#paint(out.getContext("2d"), EXPORT_SIZE, 0, 0, EXPORT_SIZE, EXPORT_SIZE);
    return out.toDataURL("image/png");
  }

  /** What the app sends: the drawing cropped to its ink with a margin, scaled so that its
   * longer side is at most UPLOAD_MAX px (a few KB rather than the whole canvas). The server
   * crops, fits and centres again: its preprocessing stays the authority. */
  toUploadDataURL() {
    const points = this.strokes.flat();
    if (!points.length) return this.toDataURL();
    const r = STROKE_WIDTH / 2;
    let x0 = Math.min(...points.map((p) => p[0])) - r, x1 = Math.max(...points.map((p) => p[0])) + r;
    let y0 = Math.min(...points.map((p) => p[1])) - r, y1 = Math.max(...points.map((p) => p[1])) + r;
    const margin = UPLOAD_MARGIN * Math.max(x1 - x0, y1 - y0);
    [x0, y0] = [Math.max(0, x0 - margin), Math.max(0, y0 - margin)];
    [x1, y1] = [Math.min(1, x1 + margin), Math.min(1, y1 + margin)];
    const size = Math.min(EXPORT_SIZE, UPLOAD_MAX / Math.max(x1 - x0, y1 - y0)); // pixels per unit
    const out = document.createElement("canvas");
    out.width = Math.max(1, Math.round((x1 - x0) * size));
    out.height = Math.max(1, Math.round((y1 - y0) * size));
    this.#paint(out.getContext("2d"), size, -x0 * size, -y0 * size, out.width, out.height);
    return out.toDataURL("image/png");
  }

  #point(event) {
    const rect = this.canvas.getBoundingClientRect();
    return [(event.clientX - rect.left) / rect.width, (event.clientY - rect.top) / rect.height];
  }

  #start(event) {
    if (event.button !== undefined && event.button > 0) return;
    event.preventDefault();
    this.canvas.setPointerCapture?.(event.pointerId);
    this.picture = null; // drawing starts a new drawing
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
    const side = this.canvas.width;
    if (this.picture) this.#paintPicture(side);
    else this.#paint(this.ctx, side, 0, 0, side, side);
  }

  #paintPicture(side) {
    const { image, pixelated, background } = this.picture;
    const ctx = this.ctx;
    ctx.fillStyle = background;
    ctx.fillRect(0, 0, side, side);
    const scale = Math.min(side / image.naturalWidth, side / image.naturalHeight);
    const w = image.naturalWidth * scale, h = image.naturalHeight * scale;
    ctx.imageSmoothingEnabled = !pixelated;
    ctx.drawImage(image, (side - w) / 2, (side - h) / 2, w, h);
    ctx.imageSmoothingEnabled = true;
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
