// Choosing the square of a photo that becomes the profile picture: the photo with a square over it that a finger, the
// mouse or the arrow keys move, and a slider that sizes it. The square is cut out here and sent as a PNG; the server
// still crops, resizes and strips it (protocol §6.4), so this only decides which part is kept.

import { type KeyboardEvent, type PointerEvent, useEffect, useRef, useState } from "react";
import { useT } from "../i18n/I18nProvider.js";
import { Dialog } from "../ui/Dialog.js";

/** The photo is shown inside a box this wide and high (CSS pixels). */
const VIEW_PX = 280;
/** Side of the picture sent to the server: larger than its largest size, so nothing is lost to a second resize. */
const OUTPUT_PX = 512;
/** An arrow key moves the square by this share of its side. */
const KEY_STEP = 0.1;

interface Square {
  x: number;
  y: number;
  size: number;
}

export function PictureCrop({ file, onCancel, onDone }: { file: File; onCancel: () => void; onDone: (picture: Blob) => void }) {
  const t = useT();
  const [url] = useState(() => URL.createObjectURL(file));
  useEffect(() => () => URL.revokeObjectURL(url), [url]);
  const image = useRef<HTMLImageElement>(null);
  const [natural, setNatural] = useState<{ width: number; height: number } | null>(null);
  const [square, setSquare] = useState<Square | null>(null);
  const [failed, setFailed] = useState(false);
  const drag = useRef<{ pointer: number; x: number; y: number; from: Square } | null>(null);

  const loaded = () => {
    const img = image.current;
    if (!img) return;
    const width = img.naturalWidth;
    const height = img.naturalHeight;
    const size = Math.min(width, height);
    setNatural({ width, height });
    setSquare({ x: (width - size) / 2, y: (height - size) / 2, size });
  };

  const scale = natural ? Math.min(VIEW_PX / natural.width, VIEW_PX / natural.height) : 1;
  const clamp = (s: Square): Square => {
    if (!natural) return s;
    const size = Math.min(s.size, natural.width, natural.height);
    return {
      size,
      x: Math.min(Math.max(0, s.x), natural.width - size),
      y: Math.min(Math.max(0, s.y), natural.height - size),
    };
  };

  const onPointerDown = (event: PointerEvent<HTMLButtonElement>) => {
    if (!square) return;
    event.currentTarget.setPointerCapture(event.pointerId);
    drag.current = { pointer: event.pointerId, x: event.clientX, y: event.clientY, from: square };
  };
  const onPointerMove = (event: PointerEvent<HTMLButtonElement>) => {
    const d = drag.current;
    if (!d || d.pointer !== event.pointerId) return;
    setSquare(clamp({ ...d.from, x: d.from.x + (event.clientX - d.x) / scale, y: d.from.y + (event.clientY - d.y) / scale }));
  };
  const onPointerUp = () => {
    drag.current = null;
  };
  const onKeyDown = (event: KeyboardEvent<HTMLButtonElement>) => {
    if (!square) return;
    const step = square.size * KEY_STEP;
    const moves: Record<string, [number, number]> = {
      ArrowLeft: [-step, 0],
      ArrowRight: [step, 0],
      ArrowUp: [0, -step],
      ArrowDown: [0, step],
    };
    const move = moves[event.key];
    if (!move) return;
    event.preventDefault();
    setSquare(clamp({ ...square, x: square.x + move[0], y: square.y + move[1] }));
  };
  const resize = (percent: number) => {
    if (!square || !natural) return;
    const full = Math.min(natural.width, natural.height);
    const size = (full * percent) / 100;
    // Sized around its centre, so the part being framed stays in view.
    setSquare(clamp({ size, x: square.x + (square.size - size) / 2, y: square.y + (square.size - size) / 2 }));
  };

  const save = () => {
    const img = image.current;
    if (!img || !square) return;
    const side = Math.min(OUTPUT_PX, Math.round(square.size));
    const canvas = document.createElement("canvas");
    canvas.width = side;
    canvas.height = side;
    canvas.getContext("2d")?.drawImage(img, square.x, square.y, square.size, square.size, 0, 0, side, side);
    canvas.toBlob((blob) => (blob ? onDone(blob) : setFailed(true)), "image/png");
  };

  const full = natural ? Math.min(natural.width, natural.height) : 1;
  return (
    <Dialog title={t("crop.title")} onClose={onCancel}>
      <div className="dialog-form picture-crop">
        <div
          className="picture-crop-view"
          style={natural ? { width: natural.width * scale, height: natural.height * scale } : { width: VIEW_PX, height: VIEW_PX }}
        >
          <img ref={image} src={url} alt="" onLoad={loaded} onError={() => setFailed(true)} draggable={false} />
          {square ? (
            <button
              type="button"
              className="picture-crop-square"
              aria-label={t("crop.area")}
              style={{ left: square.x * scale, top: square.y * scale, width: square.size * scale, height: square.size * scale }}
              onPointerDown={onPointerDown}
              onPointerMove={onPointerMove}
              onPointerUp={onPointerUp}
              onPointerCancel={onPointerUp}
              onKeyDown={onKeyDown}
            />
          ) : null}
        </div>
        <label className="field">
          <span>{t("crop.size")}</span>
          <input
            type="range"
            min={25}
            max={100}
            value={square ? Math.round((square.size / full) * 100) : 100}
            onChange={(e) => resize(Number(e.target.value))}
            disabled={!square}
          />
        </label>
        {failed ? (
          <p className="form-error" role="alert">
            {t("crop.failed")}
          </p>
        ) : null}
        <div className="dialog-actions">
          <button type="button" className="button" onClick={onCancel}>
            {t("common.cancel")}
          </button>
          <button type="button" className="button button-primary" onClick={save} disabled={!square || failed}>
            {t("crop.use")}
          </button>
        </div>
      </div>
    </Dialog>
  );
}
