// Latent pad: the legend under the map. One toggle button per class (hides or
// shows its codes) and, when there is a choice, what the map shows behind the codes.

const BACKGROUNDS = { codes: "Codes", prior: "Prior", digits: "Digits" };

class Legend {
  // onChange() is called after a click changed `hidden` (a Set of class indices) or `background`
  constructor(container, onChange) {
    this.container = container;
    this.onChange = onChange;
    this.hidden = new Set();
    this.background = "codes";
    this.key = null;
  }

  // classes: [{name, color}]; options: backgrounds offered, e.g. ["codes", "digits"]
  render(classes, options) {
    const key = JSON.stringify([classes, options]);
    if (key === this.key) return;
    this.key = key;
    if (!options.includes(this.background)) this.background = "codes";
    this.container.replaceChildren();
    const chips = document.createElement("div");
    chips.className = "aae-chips";
    chips.setAttribute("role", "group");
    chips.setAttribute("aria-label", "Classes: click to hide or show");
    classes.forEach((c, k) => {
      const b = this.button(c.name, () => this.toggle(k, b), "aae-chip");
      b.dataset.cls = String(k);
      b.style.setProperty("--chip", c.color);
      b.setAttribute("aria-pressed", String(!this.hidden.has(k)));
      b.title = `Hide or show the codes of ${c.name}`;
      chips.append(b);
    });
    this.container.append(chips);
    if (options.length > 1) {
      const group = document.createElement("div");
      group.className = "aae-bgs";
      group.setAttribute("role", "group");
      group.setAttribute("aria-label", "Map background");
      for (const opt of options) {
        const b = this.button(BACKGROUNDS[opt], () => this.choose(opt), "aae-bg");
        b.dataset.bg = opt;
        b.setAttribute("aria-pressed", String(opt === this.background));
        group.append(b);
      }
      this.container.append(group);
    }
  }

  button(text, onClick, cls) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = cls;
    b.textContent = text;
    b.addEventListener("click", onClick);
    return b;
  }

  toggle(k, b) {
    if (this.hidden.has(k)) this.hidden.delete(k);
    else this.hidden.add(k);
    b.setAttribute("aria-pressed", String(!this.hidden.has(k)));
    this.onChange();
  }

  choose(opt) {
    this.background = opt;
    for (const b of this.container.querySelectorAll(".aae-bg")) {
      b.setAttribute("aria-pressed", String(b.dataset.bg === opt));
    }
    this.onChange();
  }
}
