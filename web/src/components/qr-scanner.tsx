import jsQR from "jsqr";
import { useEffect, useRef, useState } from "react";
import { useI18n } from "../i18n/index.tsx";

/** How often a frame is decoded: fast enough for a queue at the door, light on a tablet's CPU. */
const SCAN_EVERY_MS = 200;

/**
 * The device camera (`getUserMedia`) decoded with jsQR. jsQR rather than the BarcodeDetector
 * API: Chromium on Linux (and Firefox, Safari on desktop) has no BarcodeDetector, and a
 * desk must work on whatever laptop is at hand. Calls `onCode` once per code seen; the same
 * code is not reported again until another one has been.
 */
export function QrScanner({ onCode, onClose }: { onCode: (code: string) => void; onClose: () => void }) {
  const { t } = useI18n();
  const video = useRef<HTMLVideoElement>(null);
  const [problem, setProblem] = useState("");
  const onCodeRef = useRef(onCode);
  onCodeRef.current = onCode;

  useEffect(() => {
    let stream: MediaStream | undefined;
    let timer: ReturnType<typeof setInterval> | undefined;
    let stopped = false;
    let last = "";
    const canvas = document.createElement("canvas");
    const context = canvas.getContext("2d", { willReadFrequently: true });
    async function start() {
      try {
        stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
      } catch {
        setProblem(t("desk.cameraUnavailable"));
        return;
      }
      if (stopped || !video.current) {
        for (const track of stream.getTracks()) track.stop();
        return;
      }
      video.current.srcObject = stream;
      await video.current.play().catch(() => undefined);
      timer = setInterval(() => {
        const v = video.current;
        if (!v || !context || v.videoWidth === 0) return;
        canvas.width = v.videoWidth;
        canvas.height = v.videoHeight;
        context.drawImage(v, 0, 0);
        const frame = context.getImageData(0, 0, canvas.width, canvas.height);
        const found = jsQR(frame.data, frame.width, frame.height, { inversionAttempts: "dontInvert" });
        if (found?.data && found.data !== last) {
          last = found.data;
          onCodeRef.current(found.data);
        }
      }, SCAN_EVERY_MS);
    }
    void start();
    return () => {
      stopped = true;
      if (timer) clearInterval(timer);
      for (const track of stream?.getTracks() ?? []) track.stop();
    };
  }, [t]);

  return (
    <div className="scanner" data-testid="scanner">
      {problem ? (
        <p role="alert">{problem}</p>
      ) : (
        <video ref={video} muted playsInline aria-label={t("desk.cameraView")} width={320} height={240} />
      )}
      <button type="button" onClick={onClose}>
        {t("desk.stopCamera")}
      </button>
    </div>
  );
}
