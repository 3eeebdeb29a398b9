// Latent pad: pointer and keyboard input on the pad canvas, turned into
// calls on `target`: begin(px, py) / move(px, py) / end(px, py, isClick) in canvas CSS px,
// and nudge(dx, dy, coarse) / nudgeEnd() for the arrow keys.

const CLICK_SLOP = 5; // CSS px a press may travel and still count as a click

class PadInput {
  constructor(canvas, target) {
    this.canvas = canvas;
    this.target = target;
    this.active = false;
    this.start = null;
    this.keyHeld = false;
    this.pointerFocus = false;
    this.handlers = {
      pointerdown: (e) => this.onDown(e),
      pointermove: (e) => this.onMove(e),
      pointerup: (e) => this.onUp(e),
      pointercancel: (e) => this.onUp(e),
      lostpointercapture: (e) => this.onUp(e),
      keydown: (e) => this.onKeyDown(e),
      keyup: (e) => this.onKeyUp(e),
      focus: () => canvas.classList.toggle("aae-kbd", !this.pointerFocus),
    };
    for (const [type, fn] of Object.entries(this.handlers)) canvas.addEventListener(type, fn);
  }

  destroy() {
    for (const [type, fn] of Object.entries(this.handlers)) this.canvas.removeEventListener(type, fn);
  }

  local(e) {
    const rect = this.canvas.getBoundingClientRect();
    return [e.clientX - rect.left, e.clientY - rect.top];
  }

  onDown(e) {
    if (e.button !== 0 && e.pointerType === "mouse") return;
    e.preventDefault();
    this.pointerFocus = true; // no focus ring for pointer users
    this.canvas.classList.remove("aae-kbd");
    this.canvas.focus({ preventScroll: true });
    this.pointerFocus = false;
    try {
      this.canvas.setPointerCapture(e.pointerId);
    } catch (_) {
      /* synthetic events have no capturable pointer */
    }
    this.active = true;
    this.start = this.local(e);
    this.moved = false;
    this.target.begin(...this.start);
  }

  onMove(e) {
    if (!this.active) return;
    const p = this.local(e);
    if (Math.hypot(p[0] - this.start[0], p[1] - this.start[1]) > CLICK_SLOP) this.moved = true;
    this.target.move(...p);
  }

  onUp(e) {
    if (!this.active) return;
    this.active = false;
    const p = e.type === "pointerup" ? this.local(e) : null;
    if (p && Math.hypot(p[0] - this.start[0], p[1] - this.start[1]) > CLICK_SLOP) this.moved = true;
    this.target.end(p, !this.moved);
  }

  onKeyDown(e) {
    const step = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1] }[e.key];
    if (!step) return;
    e.preventDefault();
    this.canvas.classList.add("aae-kbd");
    this.keyHeld = true;
    this.target.nudge(step[0], step[1], e.shiftKey);
  }

  onKeyUp(e) {
    if (!this.keyHeld || !e.key.startsWith("Arrow")) return;
    this.keyHeld = false;
    this.target.nudgeEnd();
  }
}
