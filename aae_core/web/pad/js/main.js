// Latent pad: the Custom Components v2 handshake.
//
// CCv2 calls the default export again on every data change with the same parentElement and
// calls only the cleanup returned last, at unmount: so one Pad lives on the root element and
// Pad.update() is idempotent.

export default function (component) {
  const { data, parentElement, setStateValue, setTriggerValue } = component;
  const root = parentElement.querySelector(".aae-pad-root");
  if (!root) throw new Error("aae_latent_pad: the component's HTML is missing");
  const pad = root.__aaePad || (root.__aaePad = new Pad(root));
  const th = padTheme(root); // the theme may have changed between runs
  const thKey = JSON.stringify(th);
  if (thKey !== pad.thKey) {
    pad.thKey = thKey;
    pad.th = th;
    pad.bgDirty = true;
  }
  pad.update(data, { setStateValue, setTriggerValue });
  return () => pad.destroy();
}
