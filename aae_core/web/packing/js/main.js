// Packing panels: the Custom Components v2 handshake (as the latent pad's: one
// PackingPanels lives on the root element, update() is idempotent).

export default function (component) {
  const { data, parentElement } = component;
  const root = parentElement.querySelector(".aae-packing-root");
  if (!root) throw new Error("aae_packing_panels: the component's HTML is missing");
  const panels = root.__aaePacking || (root.__aaePacking = new PackingPanels(root));
  const th = padTheme(root); // the theme may have changed between runs
  const thKey = JSON.stringify(th);
  if (thKey !== panels.thKey) {
    panels.thKey = thKey;
    panels.th = th;
  }
  panels.update(data);
  return () => panels.destroy();
}
