// Latent pad: the moving layer, drawn every frame over the static one: the
// marker with its cross-hair (explore), or the path between two ends (interpolate).

function drawCrosshair(ctx, geom, th, px, py) {
  const r = geom.rect();
  ctx.save();
  ctx.strokeStyle = th.primary;
  ctx.globalAlpha = 0.45;
  ctx.setLineDash([4, 4]);
  ctx.lineWidth = 1;
  ctx.beginPath();
  ctx.moveTo(r.x, Math.round(py) + 0.5);
  ctx.lineTo(r.x + r.w, Math.round(py) + 0.5);
  ctx.moveTo(Math.round(px) + 0.5, r.y);
  ctx.lineTo(Math.round(px) + 0.5, r.y + r.h);
  ctx.stroke();
  ctx.restore();
}

// a filled dot with a white rim; `active` adds a halo; `text` is written inside it
function drawMarker(ctx, th, px, py, { active = false, text = "", scale = 1 } = {}) {
  const rad = (active ? 10 : 8) * (text ? 1.35 : 1) * scale;
  ctx.save();
  if (active) {
    ctx.globalAlpha = 0.18;
    ctx.fillStyle = th.primary;
    ctx.beginPath();
    ctx.arc(px, py, rad + 9 * scale, 0, 2 * Math.PI);
    ctx.fill();
    ctx.globalAlpha = 1;
  }
  ctx.shadowColor = "rgba(0, 0, 0, 0.3)";
  ctx.shadowBlur = 4;
  ctx.shadowOffsetY = 1;
  ctx.fillStyle = th.primary;
  ctx.beginPath();
  ctx.arc(px, py, rad, 0, 2 * Math.PI);
  ctx.fill();
  ctx.shadowColor = "transparent";
  ctx.lineWidth = 2.5;
  ctx.strokeStyle = "#ffffff";
  ctx.stroke();
  if (text) {
    ctx.fillStyle = "#ffffff";
    ctx.font = `bold ${Math.round(13 * scale)}px ${th.font}`;
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    ctx.fillText(text, px, py + 0.5);
  }
  ctx.restore();
}

// a five-pointed star (the code of the user's own drawn digit), gold with a dark rim
function drawStar(ctx, px, py, scale = 1) {
  const outer = 11 * scale, inner = outer * 0.45;
  ctx.save();
  ctx.beginPath();
  for (let i = 0; i < 10; i++) {
    const r = i % 2 ? inner : outer, a = -Math.PI / 2 + (i * Math.PI) / 5;
    ctx.lineTo(px + r * Math.cos(a), py + r * Math.sin(a));
  }
  ctx.closePath();
  ctx.fillStyle = "#f5b700";
  ctx.fill();
  ctx.lineWidth = 1.5;
  ctx.strokeStyle = "#3b2f00";
  ctx.stroke();
  ctx.restore();
}

// ends: [[px, py], [px, py]]; the straight path with a tick at each of `steps` codes
function drawPath(ctx, th, ends, steps, active, scale) {
  const [[ax, ay], [bx, by]] = ends;
  ctx.save();
  ctx.strokeStyle = th.primary;
  ctx.lineWidth = 2.5 * scale;
  ctx.globalAlpha = 0.85;
  ctx.beginPath();
  ctx.moveTo(ax, ay);
  ctx.lineTo(bx, by);
  ctx.stroke();
  ctx.fillStyle = th.primary;
  for (let i = 1; i < steps - 1; i++) {
    const t = i / (steps - 1);
    ctx.beginPath();
    ctx.arc(ax + t * (bx - ax), ay + t * (by - ay), 3.5 * scale, 0, 2 * Math.PI);
    ctx.fill();
  }
  ctx.restore();
  drawMarker(ctx, th, ax, ay, { active: active === 0, text: "A", scale });
  drawMarker(ctx, th, bx, by, { active: active === 1, text: "B", scale });
}
