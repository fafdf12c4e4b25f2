// chuhai live-room client: connects, resumes after a drop from the last sequence number it
// saw (no gap, no duplicate), pings to keep the line warm, and hands typed events to the page.
// Protocol: docs/protocol.md. Untrusted text is only ever put into the page as textContent.
export class LiveClient {
  constructor(roomId, { lang, market, onHello, onEvent, onAgg, onError, onStatus, onScreening }) {
    this.roomId = roomId;
    this.lang = lang;
    this.market = market;
    this.h = { onHello, onEvent, onAgg, onError, onStatus, onScreening };
    this.lastSeq = null;
    this.backoff = 500;
    this.stopped = false;
    this.delivered = [];
  }

  url() {
    const proto = location.protocol === "https:" ? "wss" : "ws";
    const q = new URLSearchParams({ lang: this.lang, market: this.market });
    if (this.lastSeq !== null) q.set("since", String(this.lastSeq));
    return `${proto}://${location.host}/ws/rooms/${encodeURIComponent(this.roomId)}?${q}`;
  }

  connect() {
    if (this.stopped) return;
    this.h.onStatus?.("connecting");
    const ws = new WebSocket(this.url());
    this.ws = ws;
    ws.onmessage = (m) => this.receive(JSON.parse(m.data));
    ws.onopen = () => {
      this.backoff = 500;
      this.pinger = setInterval(() => this.send({ type: "ping", t: Date.now() / 1000 }), 20000);
    };
    ws.onclose = (e) => {
      clearInterval(this.pinger);
      this.h.onStatus?.("disconnected", e.code);
      if (this.stopped || [4403, 4404, 4410].includes(e.code)) return;
      if (e.code === 4409) this.lastSeq = null;  // our number was from the future: start over
      setTimeout(() => this.connect(), this.backoff);
      this.backoff = Math.min(this.backoff * 2, 10000);
    };
  }

  receive(msg) {
    if (msg.type === "hello") {
      if (msg.reset) this.delivered = [];
      this.h.onStatus?.("live");
      this.h.onHello?.(msg);
      if (msg.reset) this.lastSeq = null;
      for (const ev of msg.missed || []) this.event(ev);
      this.lastSeq = Math.max(this.lastSeq || 0, msg.seq);
    } else if (msg.type === "batch") {
      for (const ev of msg.events) this.event(ev);
      if (msg.agg) this.h.onAgg?.(msg.agg);
    } else if (msg.type === "error") {
      this.h.onError?.(msg);
    } else if (msg.type === "screening") {
      this.h.onScreening?.(msg);  // findings on the author's own line (to them only)
    }
  }

  event(ev) {
    if (ev.seq) {
      if (this.lastSeq !== null && ev.seq <= this.lastSeq) return;  // never twice
      this.lastSeq = ev.seq;
      this.delivered.push(ev.seq);  // kept for the page's own checks (and the e2e test)
      if (this.delivered.length > 5000) this.delivered.splice(0, 1000);
    }
    this.h.onEvent?.(ev);
  }

  send(obj) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(JSON.stringify(obj));
      return true;
    }
    return false;
  }

  // For tests and for the "reconnect" button: drop the socket, keep the position.
  drop() { this.ws?.close(); }
  stop() { this.stopped = true; this.ws?.close(); }
}

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (v !== null && v !== undefined && v !== false) node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) {
    if (c === null || c === undefined) continue;
    node.append(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
  }
  return node;
}

export function attachVideo(video, url) {
  if (!url) return;
  if (video.canPlayType("application/vnd.apple.mpegurl")) { video.src = url; return; }
  if (window.Hls && window.Hls.isSupported()) {
    const hls = new window.Hls({ liveSyncDurationCount: 2 });
    hls.loadSource(url);
    hls.attachMedia(video);
    return hls;
  }
  video.src = url;
}
