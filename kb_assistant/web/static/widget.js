/*
 * KB Assistant chat widget.
 *
 * Embedded with one tag:
 *   <script src="https://HOST/widget.js" data-title="…" data-greeting="…"
 *           data-color="#0b5cad" data-position="right" defer></script>
 * The API is the script's own origin. The widget lives in an open shadow root on
 * div#kb-assistant-root, so the host page's styles and ours never mix, and its stylesheet is a
 * <link> to our origin, so a host page with a strict Content-Security-Policy works unchanged.
 * Text that came from the server or the customer only ever reaches the page through
 * textContent: the small markdown subset of replies is parsed into DOM nodes, never into HTML.
 */
(function () {
  "use strict";

  const ROOT_ID = "kb-assistant-root";
  const MAX_CHARS = 2000;
  // After a dropped connection, how long and how often to look for the saved message's reply.
  const SAVED_WAIT_MS = 120000;
  const SAVED_POLL_MS = 3000;
  const SAVED_NOTE =
    "The connection dropped while I was answering. One moment: I'm fetching your reply…";
  const SAVED_LATER =
    "Your message is saved. Our help service is taking longer than usual; the reply will appear here when it is back.";
  const DEFAULT_COLOR = "#0b5cad";
  const SCRIPT = document.currentScript || findScript();
  if (!SCRIPT || document.getElementById(ROOT_ID)) return;

  const SPEAKER = {
    customer: "You", assistant: "Assistant", agent: "Support team", system: "Notice",
  };
  const HANDOFF_TEXT = {
    open: () => "A person will reply here soon",
    claimed: (agent) => `${agent || "A person from our team"} has joined`,
    resolved: () => "Your conversation with our team is resolved",
  };
  const CODE_STATUS = {
    bad_request: 400, unauthorized: 401, forbidden: 403, not_found: 404,
    message_too_large: 413, invalid_request: 422, rate_limited: 429, not_ready: 503,
  };
  const ICON_CHAT =
    "M6 3h12a3 3 0 0 1 3 3v8a3 3 0 0 1-3 3h-8l-5 4v-4.2A3 3 0 0 1 3 14V6a3 3 0 0 1 3-3z";
  const ICON_CLOSE = "M6 6l12 12M18 6L6 18";
  const ICON_THUMB =
    "M2 10h4v11H2zM8 10l4-8c1.7 0 3 1.3 3 3v3h5a2 2 0 0 1 2 2.3l-1.4 8a2 2 0 0 1-2 1.7H8z";
  const ICON_CHEVRON = "M7 10l5 5 5-5";

  /** Whether `key` is one of the object's own names (never an inherited one like "constructor"). */
  function own(object, key) {
    return typeof key === "string" && Object.prototype.hasOwnProperty.call(object, key);
  }

  /** An HTTP or stream failure, kept as data so the message shown can be chosen kindly. */
  class ApiError extends Error {
    constructor(status, code, retryAfter) {
      super(code || `HTTP ${status}`);
      this.status = status;
      this.code = code || "";
      this.retryAfter = retryAfter || null;
    }
  }

  /** Server-Sent Events parser: lines may be split anywhere across chunks. */
  class SseParser {
    constructor(onEvent) {
      this.onEvent = onEvent;
      this.buffer = "";
      this.type = "";
      this.data = [];
    }

    push(chunk) {
      this.buffer += chunk;
      // A lone "\r" at the very end may be the first half of "\r\n": wait for the next chunk.
      const newline = /\r\n|\n|\r(?!$)/g;
      let start = 0;
      let match;
      while ((match = newline.exec(this.buffer))) {
        this.line(this.buffer.slice(start, match.index));
        start = newline.lastIndex;
      }
      this.buffer = this.buffer.slice(start);
    }

    end() {
      if (this.buffer) this.line(this.buffer.replace(/\r$/, ""));
      this.buffer = "";
      this.line("");
    }

    line(text) {
      if (text === "") {
        if (this.data.length) this.onEvent(this.type || "message", this.data.join("\n"));
        this.type = "";
        this.data = [];
        return;
      }
      if (text[0] === ":") return;
      const colon = text.indexOf(":");
      const field = colon < 0 ? text : text.slice(0, colon);
      const value = colon < 0 ? "" : text.slice(colon + 1).replace(/^ /, "");
      if (field === "event") this.type = value;
      else if (field === "data") this.data.push(value);
    }
  }

  const config = readConfig(SCRIPT);
  const API = `${config.origin}/api/v1/conversations`;
  const STORE_KEY = `kb-assistant:${config.origin}`;
  const state = {
    session: null, // {conversation_id, token, expires_at}
    open: false,
    lastEventId: null,
    restored: false,
    restoring: null,
    starting: null,
    sending: false,
    handoff: null,
    panels: 0, // "More" panels made so far, for their ids
    nodes: new Map(), // message id -> its element, so nothing shows twice
    unconfirmed: null, // {text, node}: a message sent when the connection dropped
    restoredNotes: [], // handoff lines from the transcript, so a replayed event is not shown twice
    events: null,
    backoff: 1000,
    timers: { refresh: 0, reconnect: 0 },
  };
  let ui = null;

  // ---------------------------------------------------------------- configuration and theme

  function findScript() {
    for (const script of document.querySelectorAll("script[src]")) {
      if (/\/widget\.js(?:[?#]|$)/.test(script.src)) return script;
    }
    return null;
  }

  function readConfig(script) {
    const data = script.dataset;
    const raw = (data.color || "").trim();
    const color = /^#(?:[0-9a-f]{3}|[0-9a-f]{6})$/i.test(raw) ? raw : DEFAULT_COLOR;
    if (raw && color !== raw) {
      console.warn(
        `KB Assistant: data-color must be a hex colour such as ${DEFAULT_COLOR}; using the default.`,
      );
    }
    return {
      origin: new URL(script.src, document.baseURI).origin,
      title: (data.title || "").trim() || "Help",
      greeting: (data.greeting || "").trim() || "Hi! How can I help you today?",
      color,
      position: data.position === "left" ? "left" : "right",
    };
  }

  function luminance(hex) {
    let digits = hex.slice(1);
    if (digits.length === 3) digits = digits.replace(/./g, "$&$&");
    const [r, g, b] = [0, 2, 4].map((i) => {
      const c = parseInt(digits.slice(i, i + 2), 16) / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  }

  function contrast(a, b) {
    return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  }

  /**
   * Sets the accent and the text colours that stay readable (≥ 4.5:1) on and beside it:
   * text on the accent is white or near-black, whichever contrasts more, and links use the
   * accent only where it is dark enough on the lightest bubble (#eef1f4 in widget.css).
   */
  function applyTheme(host, accent) {
    const lum = luminance(accent);
    const dark = "#111418";
    host.style.setProperty("--kb-accent", accent);
    const onAccent = contrast(lum, 1) >= contrast(lum, luminance(dark)) ? "#ffffff" : dark;
    host.style.setProperty("--kb-on-accent", onAccent);
    host.style.setProperty("--kb-ink", contrast(lum, luminance("#eef1f4")) >= 4.5 ? accent : dark);
  }

  // ---------------------------------------------------------------- DOM building

  function el(tag, attributes, children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (name === "text") node.textContent = value;
      else if (value === true) node.setAttribute(name, "");
      else if (value !== false && value != null) node.setAttribute(name, String(value));
    }
    for (const child of children || []) if (child) node.append(child);
    return node;
  }

  function icon(path, cls) {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    if (cls) svg.setAttribute("class", cls);
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    const shape = document.createElementNS(ns, "path");
    shape.setAttribute("d", path);
    svg.append(shape);
    return svg;
  }

  function buildUi() {
    const host = el("div", { id: ROOT_ID, hidden: true });
    applyTheme(host, config.color);
    const shadow = host.attachShadow({ mode: "open" });
    const sheet = el("link", { rel: "stylesheet", href: `${config.origin}/widget.css` });
    sheet.addEventListener("load", () => { host.hidden = false; });
    sheet.addEventListener("error", () => {
      console.warn(
        `KB Assistant: could not load ${config.origin}/widget.css; allow this origin in style-src.`,
      );
    });
    const launcher = el("button", {
      type: "button", class: "kb-launcher", "aria-expanded": "false", "aria-controls": "kb-panel",
    }, [
      icon(ICON_CHAT, "kb-icon-chat"),
      icon(ICON_CLOSE, "kb-icon-close"),
      el("span", { class: "kb-sr", text: config.title }),
    ]);
    const parts = buildPanel();
    const widget = el("div", { class: `kb-widget kb-${config.position}` }, [launcher, parts.panel]);
    shadow.append(sheet, widget);
    document.body.append(host);
    return { host, widget, launcher, ...parts };
  }

  function buildPanel() {
    const close = el("button", { type: "button", class: "kb-close", "aria-label": "Close chat" }, [
      icon(ICON_CLOSE),
    ]);
    const bannerState = el("strong", { class: "kb-handoff-state" });
    const bannerNote = el("span", { class: "kb-handoff-note" });
    const banner = el("div", { class: "kb-handoff", role: "status", hidden: true }, [
      bannerState,
      bannerNote,
    ]);
    const log = el("div", {
      class: "kb-log", role: "log", "aria-live": "polite", "aria-label": "Conversation",
      tabindex: "0",
    }, [el("div", { class: "kb-greeting", text: config.greeting })]);
    const input = el("textarea", {
      id: "kb-input", class: "kb-input", rows: "2", maxlength: MAX_CHARS,
      placeholder: "Type your question", "aria-describedby": "kb-hint kb-count",
    });
    const count = el("span", { id: "kb-count", class: "kb-count", text: `0 / ${MAX_CHARS}` });
    const human = el("button", { type: "button", class: "kb-human", text: "Talk to a person" });
    const send = el("button", { type: "button", class: "kb-send", text: "Send" });
    const hint = `Enter sends, Shift+Enter starts a new line. Up to ${MAX_CHARS} characters.`;
    const compose = el("div", { class: "kb-compose" }, [
      el("label", { class: "kb-sr", for: "kb-input", text: "Your message" }),
      el("span", { id: "kb-hint", class: "kb-sr", text: hint }),
      el("span", { id: "kb-new-tab", class: "kb-sr", text: "Opens in a new tab" }),
      input,
      el("div", { class: "kb-actions" }, [count, human, send]),
    ]);
    const header = el("div", { class: "kb-header" }, [
      el("h2", { id: "kb-title", class: "kb-title", text: config.title }),
      close,
    ]);
    const panel = el("div", {
      id: "kb-panel", class: "kb-panel", role: "dialog", "aria-modal": "false",
      "aria-labelledby": "kb-title", hidden: true,
    }, [header, banner, log, compose]);
    return { panel, close, banner, bannerState, bannerNote, log, input, count, human, send };
  }

  function wire() {
    ui.launcher.addEventListener("click", () => (state.open ? closePanel() : openPanel(true)));
    ui.close.addEventListener("click", closePanel);
    ui.widget.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && state.open) {
        event.preventDefault();
        closePanel();
      }
    });
    ui.input.addEventListener("keydown", (event) => {
      const plain = !event.shiftKey && !event.altKey && !event.ctrlKey && !event.metaKey;
      if (event.key === "Enter" && plain && !event.isComposing) {
        event.preventDefault();
        submit();
      }
    });
    ui.input.addEventListener("input", updateCount);
    ui.send.addEventListener("click", submit);
    ui.human.addEventListener("click", requestHuman);
  }

  function openPanel(focus) {
    state.open = true;
    ui.panel.hidden = false;
    ui.launcher.setAttribute("aria-expanded", "true");
    scrollToEnd();
    if (focus) ui.input.focus();
    if (!state.session) startConversation().catch((error) => notify(friendly(error)));
    else if (!state.restored) restore();
  }

  function closePanel() {
    state.open = false;
    ui.panel.hidden = true;
    ui.launcher.setAttribute("aria-expanded", "false");
    ui.launcher.focus();
  }

  function updateCount() {
    ui.count.textContent = `${ui.input.value.length} / ${MAX_CHARS}`;
  }

  function setBusy(busy) {
    for (const button of [ui.send, ui.human]) button.setAttribute("aria-disabled", String(busy));
  }

  function scrollToEnd() {
    ui.log.scrollTop = ui.log.scrollHeight;
  }

  // ---------------------------------------------------------------- rendering text safely

  const INLINE = /\*\*(?=\S)([^\n]*?\S)\*\*|\[(\d{1,3})\]/g;
  const NUMBERED = /^\s{0,3}(\d{1,3})[.)]\s+(.*)$/;
  const BULLET = /^\s{0,3}[-*•]\s+(.*)$/;

  /** Appends text with **bold** and [n] citation markers as nodes; the rest stays literal. */
  function renderInline(text, parent) {
    let last = 0;
    for (const match of text.matchAll(INLINE)) {
      if (match.index > last) parent.append(text.slice(last, match.index));
      if (match[1] !== undefined) {
        const bold = el("strong");
        renderInline(match[1], bold);
        parent.append(bold);
      } else {
        const label = el("span", { class: "kb-sr", text: "source " });
        parent.append(el("sup", { class: "kb-cite" }, [label, match[2]]));
      }
      last = match.index + match[0].length;
    }
    if (last < text.length) parent.append(text.slice(last));
  }

  /** Paragraphs, numbered and bullet lists; every other character is shown as written. */
  function renderRich(text, target) {
    target.replaceChildren();
    let paragraph = null;
    let list = null;
    for (const line of String(text).split(/\r?\n/)) {
      const numbered = NUMBERED.exec(line);
      const bullet = numbered ? null : BULLET.exec(line);
      if (numbered || bullet) {
        const kind = numbered ? "ol" : "ul";
        if (!list || list.localName !== kind) list = target.appendChild(el(kind));
        list.append(listItem(numbered, bullet));
        paragraph = null;
      } else if (!line.trim()) {
        paragraph = null;
        list = null;
      } else {
        list = null;
        if (paragraph) paragraph.append(el("br"));
        else paragraph = target.appendChild(el("p"));
        renderInline(line.trim(), paragraph);
      }
    }
  }

  /** A list item; a step keeps its number as text, as written, so it reads the same quoted. */
  function listItem(numbered, bullet) {
    const item = el("li");
    if (bullet) {
      renderInline(bullet[1], item);
      return item;
    }
    const step = el("span", { class: "kb-step" });
    renderInline(numbered[2], step);
    item.append(el("span", { class: "kb-num", text: `${numbered[1]}.` }), " ", step);
    return item;
  }

  /** Drops a trailing "Sources:" block of [n] lines: the sources are shown as links below. */
  function stripSources(text, citations) {
    if (!Array.isArray(citations) || !citations.length) return String(text);
    return String(text).replace(/(?:^|\n[ \t]*\n)Sources:[ \t]*(?:\n[ \t]*\[\d+\][^\n]*)+\s*$/, "");
  }

  /** The address as given when it is an absolute http(s) URL; anything else is no link. */
  function safeUrl(raw) {
    if (typeof raw !== "string") return null;
    try {
      const protocol = new URL(raw).protocol;
      return protocol === "http:" || protocol === "https:" ? raw.trim() : null;
    } catch (_) {
      return null;
    }
  }

  function pageText(start, end) {
    if (!Number.isInteger(start)) return "";
    return Number.isInteger(end) && end !== start ? `pages ${start}–${end}` : `page ${start}`;
  }

  function addSources(node, citations) {
    const items = (Array.isArray(citations) ? citations : []).filter((c) => c && c.title);
    if (!items.length) return;
    const list = el("ol", { class: "kb-source-list" });
    for (const citation of items) {
      const pages = pageText(citation.page_start, citation.page_end);
      const label = pages ? `${citation.title}, ${pages}` : String(citation.title);
      const href = safeUrl(citation.url);
      const source = href
        ? el("a", {
          href, target: "_blank", rel: "noopener noreferrer", "aria-describedby": "kb-new-tab",
          text: label,
        })
        : el("span", { text: label });
      const number = Number.isInteger(citation.number) ? citation.number : null;
      list.append(el("li", { value: number }, [source]));
    }
    const title = el("p", { class: "kb-sources-title", text: "Sources" });
    node.append(el("div", { class: "kb-sources" }, [title, list]));
  }

  /** Citations whose passage says more than the answer shows, with that passage's text. */
  function fuller(citations) {
    return (Array.isArray(citations) ? citations : []).filter((c) => (
      c && c.abridged === true && typeof c.passage_text === "string" && c.passage_text.trim()
    ));
  }

  /**
   * A "More" button under an answer that shows only part of its sources: it reveals the
   * cited passages as written, rendered like replies (text nodes only, never HTML).
   */
  function addMore(node, citations) {
    const items = fuller(citations);
    if (!items.length) return;
    state.panels += 1;
    const id = `kb-more-${state.panels}`;
    const panel = el("div", { id, class: "kb-more-text", hidden: true });
    for (const citation of items) {
      const text = el("div", { class: "kb-passage-text" });
      renderRich(citation.passage_text, text);
      const title = typeof citation.title === "string" ? citation.title : "";
      panel.append(el("div", { class: "kb-passage" }, [
        title ? el("p", { class: "kb-passage-title", text: title }) : null,
        text,
      ]));
    }
    const what = items.length > 1 ? " from the sources" : " from the source";
    const button = el("button", {
      type: "button", class: "kb-more", "aria-expanded": "false", "aria-controls": id,
    }, ["More", el("span", { class: "kb-sr", text: what }), icon(ICON_CHEVRON, "kb-chevron")]);
    button.addEventListener("click", () => {
      const open = button.getAttribute("aria-expanded") !== "true";
      button.setAttribute("aria-expanded", String(open));
      panel.hidden = !open;
    });
    node.append(button, panel);
  }

  // ---------------------------------------------------------------- messages

  function messageNode(role, id) {
    const safe = own(SPEAKER, role) ? role : "system";
    const agent = safe === "agent" && state.handoff && state.handoff.agent;
    const who = safe === "agent"
      ? el("span", { class: "kb-who", text: agent ? `${agent}, support team` : SPEAKER.agent })
      : el("span", { class: "kb-who kb-sr", text: `${SPEAKER[safe]}: ` });
    const node = el("div", { class: "kb-msg", "data-role": safe }, [
      who,
      el("div", { class: "kb-body" }),
    ]);
    if (id) remember(id, node);
    return node;
  }

  function remember(id, node) {
    node.dataset.id = id;
    state.nodes.set(id, node);
  }

  function fillMessage(node, message) {
    const body = node.querySelector(".kb-body");
    const role = node.dataset.role;
    const text = String(message.text || "");
    const rich = role === "assistant" || role === "agent";
    if (rich) renderRich(stripSources(text, message.citations), body);
    else body.textContent = text;
    if (role !== "assistant") return;
    if (message.action === "interrupted") {
      body.append(el("p", { class: "kb-cut" }, ["(This reply was cut off; the full reply follows.)"]));
      return;
    }
    addMore(node, message.citations);
    addSources(node, message.citations);
    if (message.id && message.action && message.action !== "escalate") {
      addFeedback(node, message.id, message.feedback);
    }
  }

  /** Adds a message from the server unless one with the same id is already shown. */
  function addServerMessage(message) {
    if (!message || typeof message !== "object" || state.nodes.has(message.id)) return null;
    const waiting = state.unconfirmed;
    if (waiting && message.role === "customer" && message.text === waiting.text) {
      remember(message.id, waiting.node); // the message sent when the connection dropped
      waiting.id = message.id;
      return null;
    }
    const node = messageNode(message.role, typeof message.id === "string" ? message.id : null);
    fillMessage(node, message);
    ui.log.append(node);
    scrollToEnd();
    return node;
  }

  function addLocal(role, text) {
    const node = messageNode(role, null);
    node.querySelector(".kb-body").textContent = text;
    ui.log.append(node);
    scrollToEnd();
    return node;
  }

  function notify(text) {
    addLocal("system", text);
  }

  function addFeedback(node, id, current) {
    const button = (cls, label, rating) => el("button", {
      type: "button", class: cls, "aria-label": label, "aria-pressed": String(current === rating),
    }, [icon(ICON_THUMB)]);
    const up = button("kb-up", "Helpful", "up");
    const down = button("kb-down", "Not helpful", "down");
    const thanks = el("span", { class: "kb-thanks" });
    up.addEventListener("click", () => rate(id, "up", up, down, thanks));
    down.addEventListener("click", () => rate(id, "down", down, up, thanks));
    const group = { class: "kb-feedback", role: "group", "aria-label": "Was this answer helpful?" };
    node.append(el("div", group, [up, down, thanks]));
  }

  async function rate(id, rating, chosen, other, thanks) {
    if (chosen.getAttribute("aria-pressed") === "true" || !state.session) return;
    const before = other.getAttribute("aria-pressed");
    chosen.setAttribute("aria-pressed", "true");
    other.setAttribute("aria-pressed", "false");
    try {
      await ensureSession();
      await call("POST", conversationPath("/feedback"), { message_id: id, rating });
      thanks.textContent = "Thanks for your feedback.";
      if (rating === "down") addComment(chosen.closest(".kb-feedback"), id, thanks);
    } catch (error) {
      chosen.setAttribute("aria-pressed", "false");
      other.setAttribute("aria-pressed", before);
      notify(friendly(error, "We couldn't save your feedback. Please try again in a moment."));
    }
  }

  /** After a thumbs-down: an optional line on what was missing, sent with the rating. */
  function addComment(group, id, thanks) {
    if (!group || group.querySelector(".kb-comment")) return;
    const label = el("label", { text: "What was missing? (optional)" });
    const input = el("textarea", { class: "kb-comment-input", rows: "2", maxlength: "1000" });
    const send = el("button", { type: "button", class: "kb-comment-send", text: "Send" });
    label.append(input);
    const form = el("div", { class: "kb-comment" }, [label, send]);
    send.addEventListener("click", async () => {
      const comment = input.value.trim();
      if (!comment) return;
      send.disabled = true;
      try {
        await call("POST", conversationPath("/feedback"), { message_id: id, rating: "down", comment });
        form.remove();
        thanks.textContent = "Thanks, that helps us improve.";
      } catch (error) {
        send.disabled = false;
        notify(friendly(error, "We couldn't save your comment. Please try again in a moment."));
      }
    });
    group.after(form);
    input.focus();
  }

  function addOffer(node) {
    removeOffers();
    const question = el("p", { text: "Would you like a person from our team to help?" });
    const yes = el("button", {
      type: "button", class: "kb-offer-yes", text: "Yes, connect me with a person",
    });
    yes.addEventListener("click", requestHuman);
    node.append(el("div", { class: "kb-offer" }, [question, yes]));
  }

  function removeOffers() {
    for (const offer of ui.log.querySelectorAll(".kb-offer")) offer.remove();
  }

  /** The reply bubble while it streams: a typing indicator, then the text as it arrives. */
  function pendingReply() {
    const node = messageNode("assistant", null);
    const body = node.querySelector(".kb-body");
    const dots = [1, 2, 3].map(() => el("span", { class: "kb-dot", "aria-hidden": "true" }));
    const typing = el("span", { class: "kb-sr", text: "The assistant is typing" });
    body.append(el("span", { class: "kb-typing" }, [...dots, typing]));
    ui.log.append(node);
    scrollToEnd();
    let text = "";
    let frame = 0;
    const draw = () => {
      frame = 0;
      renderRich(text, body);
      scrollToEnd();
    };
    return {
      node,
      append(delta) {
        if (!text) ui.log.setAttribute("aria-busy", "true");
        text += delta;
        if (!frame) frame = requestAnimationFrame(draw);
      },
      settle() {
        cancelAnimationFrame(frame);
        ui.log.removeAttribute("aria-busy");
      },
    };
  }

  function friendly(error, fallback) {
    const status = error instanceof ApiError ? error.status : 0;
    if (status === 0) {
      return error && error.code === "interrupted"
        ? "The reply was interrupted. Please send your message again."
        : "We couldn't reach our help service. Please check your connection and try again.";
    }
    if (status === 413) {
      return `That message is too long. Please keep it under ${MAX_CHARS} characters.`;
    }
    if (status === 400 || status === 422) {
      return "We couldn't read that message. Please check it and try again.";
    }
    if (status === 429) {
      return `You're sending messages quickly. Please wait ${waitText(error.retryAfter)} and try again.`;
    }
    if (status === 503) return "The assistant isn't quite ready yet. Please try again in a minute.";
    return fallback || "Sorry, something went wrong on our side. Please try again in a moment.";
  }

  function waitText(seconds) {
    if (!seconds) return "a moment";
    if (seconds < 60) return `${seconds} second${seconds === 1 ? "" : "s"}`;
    const minutes = Math.ceil(seconds / 60);
    return `${minutes} minute${minutes === 1 ? "" : "s"}`;
  }

  // ---------------------------------------------------------------- API and session

  function conversationPath(suffix) {
    return `/${encodeURIComponent(state.session.conversation_id)}${suffix}`;
  }

  function retryAfter(header) {
    if (!header) return null;
    const seconds = /^\d+$/.test(header.trim())
      ? Number(header)
      : (Date.parse(header) - Date.now()) / 1000;
    return Number.isFinite(seconds) ? Math.max(1, Math.ceil(seconds)) : null;
  }

  async function call(method, path, body, options) {
    const opts = options || {};
    const headers = { Accept: opts.accept || "application/json" };
    if (state.session && !opts.anonymous) headers.Authorization = `Bearer ${state.session.token}`;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch(API + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: "omit",
        cache: "no-store",
      });
    } catch (_) {
      throw new ApiError(0, "network");
    }
    if (response.ok) return response;
    let code = "";
    try {
      code = ((await response.json()).error || {}).code || "";
    } catch (_) {
      code = "";
    }
    throw new ApiError(response.status, code, retryAfter(response.headers.get("Retry-After")));
  }

  function isGone(error) {
    return error instanceof ApiError && [401, 403, 404].includes(error.status);
  }

  function loadSaved() {
    try {
      const saved = JSON.parse(localStorage.getItem(STORE_KEY) || "null");
      const ok = saved && typeof saved.conversation_id === "string" && typeof saved.token === "string";
      return ok ? saved : null;
    } catch (_) {
      return null;
    }
  }

  function save() {
    try {
      if (!state.session) localStorage.removeItem(STORE_KEY);
      else {
        const record = { ...state.session, last_event_id: state.lastEventId };
        localStorage.setItem(STORE_KEY, JSON.stringify(record));
      }
    } catch (_) {
      // Storage can be blocked (private modes, sandboxed frames): the chat works for this page.
    }
  }

  function adopt(data) {
    state.session = {
      conversation_id: String(data.conversation_id || state.session.conversation_id),
      token: String(data.token),
      expires_at: String(data.expires_at || ""),
    };
    save();
    scheduleRefresh();
  }

  function startConversation() {
    if (!state.starting) {
      state.starting = call("POST", "", {}, { anonymous: true })
        .then((response) => response.json())
        .then((data) => {
          adopt(data);
          state.restored = true;
        })
        .finally(() => { state.starting = null; });
    }
    return state.starting;
  }

  function expiresIn() {
    const at = Date.parse(state.session ? state.session.expires_at : "");
    return Number.isFinite(at) ? at - Date.now() : Infinity;
  }

  function scheduleRefresh() {
    clearTimeout(state.timers.refresh);
    const left = expiresIn();
    if (!state.session || !Number.isFinite(left)) return;
    const delay = left > 240000 ? left - 120000 : Math.max(1000, left / 2);
    state.timers.refresh = setTimeout(refreshToken, Math.min(delay, 2147483647));
  }

  async function refreshToken() {
    clearTimeout(state.timers.refresh);
    if (!state.session) return;
    try {
      adopt(await (await call("POST", conversationPath("/token"), {})).json());
    } catch (error) {
      if (isGone(error)) forget(true);
      else state.timers.refresh = setTimeout(refreshToken, 30000);
    }
  }

  async function ensureSession() {
    if (state.restoring) await state.restoring; // the transcript first, so nothing shows twice
    if (state.session && expiresIn() < 30000) await refreshToken();
    if (!state.session) await startConversation();
  }

  /** Runs an authorised call; a conversation the server no longer knows is replaced once. */
  async function withSession(action) {
    await ensureSession();
    try {
      return await action();
    } catch (error) {
      if (!isGone(error)) throw error;
      forget(true);
      await ensureSession();
      return action();
    }
  }

  function forget(tell) {
    closeEvents();
    clearTimeout(state.timers.refresh);
    const hadMessages = Boolean(ui.log.querySelector(".kb-msg"));
    state.session = null;
    state.lastEventId = null;
    setHandoff(null);
    save();
    if (tell && hadMessages) {
      notify(
        "Your earlier chat has ended, so we've started a new one. Please ask again if anything is left.",
      );
    }
  }

  function restore() {
    if (!state.restoring) {
      state.restoring = call("GET", conversationPath(""))
        .then((response) => response.json())
        .then((data) => {
          state.restored = true;
          showTranscript(data);
          scheduleRefresh();
        })
        .catch((error) => { if (isGone(error)) forget(false); })
        .finally(() => { state.restoring = null; });
    }
    return state.restoring;
  }

  function showTranscript(data) {
    const messages = Array.isArray(data.messages) ? data.messages : [];
    const handoff = data.handoff && typeof data.handoff === "object" ? data.handoff : null;
    state.handoff = handoff; // agent messages show the name of the person who has the case
    for (const message of messages) {
      if (addServerMessage(message) && message.role === "system") {
        state.restoredNotes.push(String(message.text || ""));
      }
    }
    const last = messages.filter((m) => m && m.role === "assistant").pop();
    if (last && last.offer_human && !isActive(handoff) && state.nodes.has(last.id)) {
      addOffer(state.nodes.get(last.id));
    }
    setHandoff(handoff);
  }

  // ---------------------------------------------------------------- sending

  async function submit() {
    const text = ui.input.value.trim();
    if (state.sending || !text) return;
    state.sending = true;
    setBusy(true);
    ui.input.value = "";
    updateCount();
    const mine = addLocal("customer", text);
    try {
      await withSession(() => sendMessage(text, mine));
    } catch (error) {
      if (mayBeSaved(error) && (await awaitSavedReply(text, mine))) return;
      mine.remove();
      if (!ui.input.value) ui.input.value = text;
      updateCount();
      notify(friendly(error));
    } finally {
      state.sending = false;
      setBusy(false);
    }
  }

  /** The server may have kept the message: the connection dropped, or the reply failed. */
  function mayBeSaved(error) {
    return error instanceof ApiError && (error.status === 0 || error.status === 500);
  }

  /**
   * The server keeps every message it received and answers it even after a failure, so
   * instead of asking the customer to send it again, wait for that reply in the transcript.
   * False when the message never reached the server (it is then sent again by hand).
   */
  async function awaitSavedReply(text, mine) {
    state.unconfirmed = { text, node: mine, id: null };
    const note = addLocal("system", SAVED_NOTE);
    const deadline = Date.now() + SAVED_WAIT_MS;
    try {
      while (Date.now() < deadline) {
        await new Promise((done) => { setTimeout(done, SAVED_POLL_MS); });
        const data = await transcriptOrNull();
        if (!data) continue;
        showTranscript(data);
        if (answered(data, state.unconfirmed.id)) {
          note.remove();
          return true;
        }
      }
      const saved = state.unconfirmed.id !== null;
      if (saved) note.querySelector(".kb-body").textContent = SAVED_LATER;
      else note.remove();
      return saved;
    } finally {
      state.unconfirmed = null;
    }
  }

  async function transcriptOrNull() {
    try {
      return await (await call("GET", conversationPath(""))).json();
    } catch (_) {
      return null; // still unreachable: try again
    }
  }

  /** Whether the transcript holds a finished reply after the customer's message `id`. */
  function answered(data, id) {
    if (!id || !Array.isArray(data.messages)) return false;
    const at = data.messages.findIndex((m) => m && m.id === id);
    return at >= 0 && data.messages.slice(at + 1).some(
      (m) => m && m.role === "assistant" && m.action && m.action !== "interrupted",
    );
  }

  async function sendMessage(text, mine) {
    const reply = pendingReply();
    try {
      const response = await call("POST", conversationPath("/messages"), { text }, {
        accept: "text/event-stream",
      });
      const streamed = (response.headers.get("Content-Type") || "").includes("text/event-stream");
      const result = streamed ? await readReply(response, reply) : await response.json();
      reply.settle();
      finishExchange(result, mine, reply.node);
    } catch (error) {
      reply.settle();
      reply.node.remove();
      throw error;
    }
  }

  async function readReply(response, reply) {
    let result = null;
    let failure = null;
    const parser = new SseParser((type, data) => {
      const payload = parseJson(data);
      if (type === "token" && payload && typeof payload.text === "string") {
        reply.append(payload.text);
      } else if (type === "done") result = payload;
      else if (type === "error") {
        const code = (payload && payload.error && payload.error.code) || "internal_error";
        failure = new ApiError(own(CODE_STATUS, code) ? CODE_STATUS[code] : 500, code, null);
      }
    });
    try {
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
        parser.push(decoder.decode(chunk.value, { stream: true }));
      }
      parser.push(decoder.decode());
      parser.end();
    } catch (_) {
      if (!result) throw new ApiError(0, "interrupted");
    }
    if (failure) throw failure;
    if (!result || !result.reply) throw new ApiError(0, "interrupted");
    return result;
  }

  function parseJson(text) {
    try {
      return JSON.parse(text);
    } catch (_) {
      return null;
    }
  }

  /** The final reply replaces the streamed text: it is the version that passed every check. */
  function finishExchange(result, mine, node) {
    const customer = result.customer_message;
    if (customer && typeof customer.id === "string") remember(customer.id, mine);
    const reply = result.reply;
    if (typeof reply.id === "string" && state.nodes.has(reply.id)) {
      node.remove();
    } else {
      node.setAttribute("data-role", own(SPEAKER, reply.role) ? reply.role : "assistant");
      node.querySelector(".kb-body").replaceChildren();
      if (typeof reply.id === "string") remember(reply.id, node);
      fillMessage(node, reply);
    }
    if (reply.action === "escalate" || result.case_id != null) onEscalated(result.case_id);
    else if (reply.offer_human && !isActive(state.handoff)) addOffer(node);
    scrollToEnd();
  }

  async function requestHuman() {
    if (state.sending) return;
    state.sending = true;
    setBusy(true);
    try {
      const result = await withSession(async () => {
        const response = await call("POST", conversationPath("/handoff"), {});
        return response.json();
      });
      removeOffers();
      addServerMessage(result.customer_message);
      addServerMessage(result.reply);
      onEscalated(result.case_id);
    } catch (error) {
      notify(friendly(error));
    } finally {
      state.sending = false;
      setBusy(false);
      if (state.open) ui.input.focus();
    }
  }

  // ---------------------------------------------------------------- a person takes over

  function isActive(handoff) {
    return Boolean(handoff && (handoff.state === "open" || handoff.state === "claimed"));
  }

  function onEscalated(caseId) {
    removeOffers();
    if (isActive(state.handoff)) connectEvents();
    else setHandoff({ case_id: caseId == null ? null : caseId, state: "open", agent: null });
  }

  function setHandoff(handoff, note) {
    const known = handoff && typeof handoff === "object" && own(HANDOFF_TEXT, handoff.state);
    const valid = known ? handoff : null;
    state.handoff = valid;
    ui.banner.hidden = !valid;
    ui.human.hidden = isActive(valid);
    if (!valid) {
      closeEvents();
      return;
    }
    ui.banner.dataset.state = valid.state;
    ui.bannerState.textContent = HANDOFF_TEXT[valid.state](valid.agent ? String(valid.agent) : "");
    ui.bannerNote.textContent = typeof note === "string" ? note : "";
    if (valid.state === "resolved") closeEvents();
    else connectEvents();
  }

  function connectEvents() {
    if (state.events || !state.session || !isActive(state.handoff)) return;
    clearTimeout(state.timers.reconnect);
    const url = new URL(API + conversationPath("/events"));
    url.searchParams.set("token", state.session.token);
    if (state.lastEventId) url.searchParams.set("after", state.lastEventId);
    const source = new EventSource(url.href);
    state.events = source;
    source.addEventListener("open", () => { state.backoff = 1000; });
    source.addEventListener("agent_message", (event) => onStreamEvent(event, (message) => {
      addServerMessage({ ...message, role: "agent" });
    }));
    source.addEventListener("handoff", (event) => onStreamEvent(event, onHandoffEvent));
    source.addEventListener("error", () => reconnectLater(source));
  }

  function onStreamEvent(event, handle) {
    if (event.lastEventId) {
      state.lastEventId = event.lastEventId;
      save();
    }
    const data = parseJson(event.data);
    if (data && typeof data === "object") handle(data);
  }

  /**
   * A case changed. The banner shows its state; "open" keeps its line in the banner (the
   * assistant's reply already said a person will come), later lines go in the conversation,
   * where the transcript keeps them too.
   */
  function onHandoffEvent(handoff) {
    const note = typeof handoff.message === "string" ? handoff.message : "";
    if (handoff.state === "open") {
      setHandoff(handoff, note);
      return;
    }
    setHandoff(handoff);
    const seen = state.restoredNotes.indexOf(note);
    if (seen >= 0) state.restoredNotes.splice(seen, 1);
    else if (note) notify(note);
  }

  /** Reconnects with exponential back-off; `after` makes the server skip what was seen. */
  function reconnectLater(source) {
    source.close();
    if (state.events !== source) return;
    state.events = null;
    if (!isActive(state.handoff)) return;
    const delay = state.backoff * (0.75 + Math.random() * 0.5);
    state.backoff = Math.min(state.backoff * 2, 30000);
    state.timers.reconnect = setTimeout(async () => {
      if (state.session && expiresIn() < 30000) await refreshToken();
      connectEvents();
    }, delay);
  }

  function closeEvents() {
    clearTimeout(state.timers.reconnect);
    if (state.events) state.events.close();
    state.events = null;
  }

  // ---------------------------------------------------------------- start

  function start() {
    ui = buildUi();
    wire();
    const saved = loadSaved();
    if (!saved) return;
    state.session = {
      conversation_id: saved.conversation_id,
      token: saved.token,
      expires_at: String(saved.expires_at || ""),
    };
    state.lastEventId = typeof saved.last_event_id === "string" ? saved.last_event_id : null;
    restore();
  }

  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start, { once: true });
})();
