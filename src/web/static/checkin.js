/* The desk's check-in page (seed 002 QR codes): read a booking's QR code from the
   device camera — with the browser's BarcodeDetector where there is one, else
   jsQR on a canvas — put the code in the form and send it. Pasting a code and
   pressing "Check in" works without any of this. */
(function () {
  "use strict";
  var button = document.getElementById("checkin-camera");
  var video = document.getElementById("checkin-video");
  var form = document.getElementById("checkin-form");
  var field = document.getElementById("checkin-code");
  var result = document.getElementById("checkin-result");
  if (!button || !video || !form || !field) return;

  var stream = null;
  var timer = null;
  var canvas = document.createElement("canvas");
  var detector = null;
  if ("BarcodeDetector" in window) {
    try { detector = new window.BarcodeDetector({ formats: ["qr_code"] }); } catch (e) { detector = null; }
  }

  function say(text) { if (result) result.textContent = text; }

  function stop() {
    if (timer) { clearInterval(timer); timer = null; }
    if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); stream = null; }
    video.hidden = true;
    button.textContent = "Scan with camera";
  }

  function found(text) {
    if (!text) return;
    stop();
    field.value = text.trim();
    say("Code read — checking in…");
    if (form.requestSubmit) form.requestSubmit(); else form.submit();
  }

  function scanFrame() {
    if (!stream || video.readyState < 2) return;
    if (detector) {
      detector.detect(video).then(function (codes) {
        if (codes.length) found(codes[0].rawValue);
      }).catch(function () {});
      return;
    }
    if (!window.jsQR) return;
    var w = video.videoWidth, h = video.videoHeight;
    if (!w || !h) return;
    canvas.width = w; canvas.height = h;
    var ctx = canvas.getContext("2d", { willReadFrequently: true });
    ctx.drawImage(video, 0, 0, w, h);
    var image = ctx.getImageData(0, 0, w, h);
    var code = window.jsQR(image.data, w, h, { inversionAttempts: "dontInvert" });
    if (code && code.data) found(code.data);
  }

  button.addEventListener("click", function () {
    if (stream) { stop(); return; }
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      say("No camera here — paste the code instead.");
      return;
    }
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false })
      .then(function (s) {
        stream = s;
        video.srcObject = s;
        video.hidden = false;
        video.play();
        button.textContent = "Stop camera";
        say("Point the camera at the member's QR code.");
        timer = setInterval(scanFrame, 200);
      })
      .catch(function () { say("No camera here — paste the code instead."); });
  });
})();
