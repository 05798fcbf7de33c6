// The drawing pad: pointer events (mouse, touch, pen), round strokes whose width scales with
// the pad, sharp on high-DPI screens. Strokes are kept as points in 0..1 coordinates so the
// pad can be resized, undone and exported at a fixed resolution.

const STROKE_WIDTH = 0.072; // of the pad's side: a 20 px brush on a 280 px canvas
const EXPORT_SIZE = 280;

export class DrawingPad extends EventTarget {
  constructor(canvas) {
    super();
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d");
    this.strokes = [];
    this.current = null;
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
    this.#redraw();
    this.#emit("change", { final: true });
  }

  undo() {
    if (!this.strokes.length) return;
    this.strokes.pop();
    this.#redraw();
    this.#emit("change", { final: true });
  }

  /** The drawing as a PNG data URL: white ink on black, 280×280, like the canvas people expect. */
  toDataURL() {
    const out = document.createElement("canvas");
    out.width = out.height = EXPORT_SIZE;
    this.#paint(out.getContext("2d"), EXPORT_SIZE);
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
    this.#paint(this.ctx, this.canvas.width);
  }

  #paint(ctx, size) {
    ctx.fillStyle = "#000";
    ctx.fillRect(0, 0, size, size);
    ctx.strokeStyle = ctx.fillStyle = "#fff";
    ctx.lineWidth = STROKE_WIDTH * size;
    ctx.lineCap = ctx.lineJoin = "round";
    for (const stroke of this.strokes) {
      const [x0, y0] = stroke[0];
      if (stroke.length === 1) {
        ctx.beginPath();
        ctx.arc(x0 * size, y0 * size, ctx.lineWidth / 2, 0, Math.PI * 2);
        ctx.fill();
        continue;
      }
      // Quadratic curves through the midpoints: smooth strokes from jittery pointer samples.
      ctx.beginPath();
      ctx.moveTo(x0 * size, y0 * size);
      for (let i = 1; i < stroke.length - 1; i++) {
        const [x, y] = stroke[i];
        const [nx, ny] = stroke[i + 1];
        ctx.quadraticCurveTo(x * size, y * size, ((x + nx) / 2) * size, ((y + ny) / 2) * size);
      }
      const [lx, ly] = stroke[stroke.length - 1];
      ctx.lineTo(lx * size, ly * size);
      ctx.stroke();
    }
  }

  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}
