import { writeFileSync } from "node:fs";
import QRCode from "qrcode";

/**
 * A Y4M clip (YUV4MPEG2: a text header, then raw 4:2:0 frames) showing the QR code of `text`
 * on white, for Chromium's `--use-file-for-fake-video-capture`: the camera a headless desk
 * sees. Made from the `qrcode` package's module matrix, so no image tool is needed.
 */
export function writeQrClip(
  file: string,
  text: string,
  options: { width?: number; height?: number; frames?: number } = {},
) {
  const width = options.width ?? 640;
  const height = options.height ?? 480;
  const frames = options.frames ?? 10;
  const qr = QRCode.create(text, { errorCorrectionLevel: "M" });
  const modules = qr.modules.size;
  const quiet = 4; // modules of white around the code, as the standard asks
  const scale = Math.floor(Math.min(width, height) / (modules + 2 * quiet));
  const left = Math.floor((width - modules * scale) / 2);
  const top = Math.floor((height - modules * scale) / 2);
  // Luma: 235 white, 16 black (video range); chroma neutral.
  const luma = Buffer.alloc(width * height, 235);
  for (let row = 0; row < modules; row++)
    for (let col = 0; col < modules; col++) {
      if (!qr.modules.get(row, col)) continue;
      for (let y = 0; y < scale; y++)
        luma.fill(
          16,
          (top + row * scale + y) * width + left + col * scale,
          (top + row * scale + y) * width + left + (col + 1) * scale,
        );
    }
  const chroma = Buffer.alloc((width / 2) * (height / 2), 128);
  const frame = Buffer.concat([Buffer.from("FRAME\n"), luma, chroma, chroma]);
  const header = Buffer.from(`YUV4MPEG2 W${width} H${height} F10:1 Ip A1:1 C420jpeg\n`);
  writeFileSync(file, Buffer.concat([header, ...Array.from({ length: frames }, () => frame)]));
}
