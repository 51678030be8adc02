// Ledgerline messenger: vanilla JS over the person API (/api/v1) and its WebSocket.
// Auth is the HttpOnly session cookie; state-changing calls carry X-CSRF-Token.
// All text goes through textContent / attributes: no HTML is ever built from data.
(() => {
  "use strict";

  const meta = (name) => {
    const el = document.querySelector(`meta[name="${name}"]`);
    return el ? el.getAttribute("content") || "" : "";
  };
  const $ = (sel) => document.querySelector(sel);
  const CSRF = meta("csrf-token");
  const LOCALE = meta("ll-locale") || "vi";
  let T = {};
  const t = (key, vals) =>
    (T[key] || key).replace(/\{(\w+)\}/g, (m, n) => (vals && n in vals ? String(vals[n]) : m));

  const PAGE = 50; // messages per history page
  const state = {
    threads: [],
    current: null, // page_id of the open thread
    currentName: "",
    byMid: new Map(), // mid -> message, for the open thread
    // Messages are numbered in their thread (seq: 1, 2, 3, ...). upto: the number up to which
    // every message is held; seqs: the numbers held. A frame past upto + 1 (frames of two
    // servers may cross) or a reconnect refills after upto: nothing can be skipped.
    upto: 0,
    seqs: new Set(),
    filling: false,
    fillAgain: false,
    pending: [], // {el, text} bubbles sent but not yet confirmed
    readWatermark: 0,
    ws: null,
    attempt: 0,
    holdUntil: 0,
    retryTimer: null,
    connected: false,
    typingTimer: null,
    myTypingAt: 0, // when we last told the business we are typing
    pinned: [], // open fraud alerts of the open thread (GET .../alerts), newest first
    ref: null, // the ref of the link that opened the chat (?thread=PAGE_ID&ref=…)
    title: document.title,
  };

  // ---- HTTP ---------------------------------------------------------------------------
  async function api(method, path, body) {
    const opts = { method, headers: { Accept: "application/json" }, credentials: "same-origin" };
    if (method !== "GET") opts.headers["X-CSRF-Token"] = CSRF;
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    const res = await fetch(path, opts);
    if (res.status === 401) {
      // Back to this chat after signing in again (what was unsent stays in the outbox).
      const here = window.location.pathname + window.location.search;
      window.location.assign("/signin?expired=1&next=" + encodeURIComponent(here));
      throw new Error("session expired");
    }
    const data = await res.json().catch(() => ({}));
    if (!res.ok) {
      const err = new Error((data.error && data.error.message) || res.statusText);
      err.status = res.status;
      throw err;
    }
    return data;
  }

  const el = (tag, attrs, ...children) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "class") node.className = v;
      else if (k === "text") node.textContent = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? "" : String(v));
    }
    for (const c of children) if (c) node.append(c);
    return node;
  };

  const safeUrl = (url) => {
    if (typeof url !== "string" || !url) return null;
    try {
      const u = new URL(url); // absolute http(s) only: banks send full URLs
      return u.protocol === "https:" || u.protocol === "http:" ? u.href : null;
    } catch (e) {
      return null;
    }
  };

  const timeOf = (m) => Date.parse(m.created_time) || 0;
  const shortTime = (m) => {
    const d = new Date(timeOf(m));
    return d.toLocaleTimeString(LOCALE === "vi" ? "vi-VN" : "en-GB", {
      hour: "2-digit",
      minute: "2-digit",
    });
  };

  // ---- thread list and directory --------------------------------------------------------
  function preview(m) {
    if (!m) return "";
    if (m.text) return (m.from === "user" ? t("you") + ": " : "") + m.text;
    if (m.attachments && m.attachments.length) return (m.from === "user" ? t("you") + ": " : "") + "📎";
    if (m.attachment && m.attachment.payload) {
      const p = m.attachment.payload;
      const s = p.summary;
      if (s && s.kind === "fraud_alert") return "⚠ " + t("alert_title") + (s.amount ? " · " + s.amount : "");
      return p.text || (p.elements && p.elements[0] && p.elements[0].title) || t("receipt");
    }
    return "";
  }

  // The page title counts what waits: "⚠ 1 · (3) Ledgerline" (alerts first).
  function renderTitle() {
    let unread = 0;
    let alerts = 0;
    for (const th of state.threads) {
      if (th.page_id !== state.current || document.visibilityState === "hidden") unread += th.unread || 0;
      alerts += th.open_alerts || 0;
    }
    const parts = [];
    if (alerts) parts.push("⚠ " + alerts);
    if (unread) parts.push(`(${unread})`);
    document.title = parts.length ? `${parts.join(" · ")} ${state.title}` : state.title;
  }

  function renderThreads() {
    const list = $("#threads");
    list.replaceChildren();
    renderTitle();
    for (const th of state.threads) {
      const unread = th.page_id === state.current ? 0 : th.unread;
      const alerts = th.open_alerts || 0;
      list.append(
        el(
          "li",
          {},
          el(
            "button",
            {
              type: "button",
              class: "item" + (th.page_id === state.current ? " active" : ""),
              "data-page-id": th.page_id,
              "data-testid": "thread",
              onclick: () => openThread(th.page_id, th.page_name),
            },
            el("span", { class: "avatar", text: (th.page_name || "?").slice(0, 1) }),
            el(
              "span",
              { class: "item-body" },
              el("span", { class: "item-title", text: th.page_name }),
              el("span", { class: "item-sub", text: preview(th.last_message) }),
            ),
            alerts > 0
              ? el("span", {
                  class: "badge alert-badge",
                  text: "⚠ " + alerts,
                  title: t("alerts_waiting", { n: alerts }),
                  "aria-label": t("alerts_waiting", { n: alerts }),
                  "data-testid": "alert-badge",
                })
              : null,
            unread > 0
              ? el("span", {
                  class: "badge",
                  text: String(unread),
                  title: t("unread", { n: unread }),
                  "data-testid": "unread",
                })
              : null,
          ),
        ),
      );
    }
    $("#empty").hidden = state.threads.length > 0 || !$("#results").hidden;
  }

  let threadsTimer = null;
  async function loadThreads() {
    try {
      state.threads = (await api("GET", "/api/v1/threads")).data;
      renderThreads();
    } catch (e) {
      /* shown by the connection status */
    }
  }

  function refreshThreads(delay) {
    clearTimeout(threadsTimer);
    threadsTimer = setTimeout(loadThreads, delay || 0);
  }

  // "/?thread=PAGE_ID" (e.g. the "Account linked" page's link back) opens that thread.
  function openRequestedThread() {
    const query = new URLSearchParams(window.location.search);
    const wanted = query.get("thread");
    if (!wanted) return;
    state.ref = query.get("ref"); // a link's ref, for the Get Started postback's referral
    const thread = state.threads.find((th) => th.page_id === wanted);
    // A thread with nothing in it yet but a message waiting to go (kept on this device).
    const waiting = outbox().find((item) => item.page_id === wanted);
    if (!thread && !waiting) {
      window.history.replaceState(null, "", "/");
      return;
    }
    openThread(wanted, thread ? thread.page_name : waiting.name);
    if (state.ref) {
      // An m.me-style link into a conversation that exists: the bank gets a referral event
      // (a new conversation's ref goes with Get Started instead).
      const body = { ref: state.ref };
      state.ref = null;
      api("POST", `/api/v1/threads/${encodeURIComponent(thread.page_id)}/referral`, body).catch(() => {});
    }
  }

  let searchTimer = null;
  function onSearch() {
    clearTimeout(searchTimer);
    const q = $("#search").value.trim();
    const results = $("#results");
    if (!q) {
      results.hidden = true;
      results.replaceChildren();
      renderThreads();
      return;
    }
    searchTimer = setTimeout(async () => {
      const data = (await api("GET", "/api/v1/businesses?q=" + encodeURIComponent(q))).data;
      results.replaceChildren(el("li", { class: "section", text: t("directory") }));
      if (!data.length) results.append(el("li", { class: "empty", text: t("no_results", { q }) }));
      for (const b of data) {
        results.append(
          el(
            "li",
            {},
            el(
              "button",
              {
                type: "button",
                class: "item",
                "data-testid": "business",
                "data-page-id": b.page_id,
                onclick: () => {
                  $("#search").value = "";
                  results.hidden = true;
                  openThread(b.page_id, b.name);
                },
              },
              el("span", { class: "avatar", text: b.name.slice(0, 1) }),
              el("span", { class: "item-body" }, el("span", { class: "item-title", text: b.name })),
            ),
          ),
        );
      }
      results.hidden = false;
      $("#empty").hidden = true;
    }, 200);
  }

  // ---- one thread ----------------------------------------------------------------------
  async function openThread(pageId, name) {
    flushRead();
    state.current = pageId;
    state.currentName = name;
    state.byMid = new Map();
    state.upto = 0;
    state.seqs = new Set();
    state.pending = [];
    state.readWatermark = 0;
    $("#thread-title").textContent = name;
    $("#messages").replaceChildren();
    $("#chips").replaceChildren();
    renderMenu(null);
    state.pinned = [];
    renderPinned();
    loadPinned();
    showTyping(false);
    showAgent(null);
    $("#app").dataset.view = "thread";
    // Reloading (or restoring the tab) comes back to this chat.
    window.history.replaceState(null, "", "/?thread=" + encodeURIComponent(pageId));
    renderThreads();
    api("GET", `/api/v1/threads/${encodeURIComponent(pageId)}/agent`)
      .then((who) => {
        if (state.current === pageId) showAgent(who);
      })
      .catch(() => {});
    const base = `/api/v1/threads/${encodeURIComponent(pageId)}`;
    const [page, profile] = await Promise.all([
      api("GET", `${base}/messages?limit=${PAGE}`),
      api("GET", `${base}/profile`).catch(() => null),
    ]);
    const data = page.data;
    if (state.current !== pageId) return;
    renderMenu(profile && profile.persistent_menu);
    if (!data.length) $("#messages").append(helloCard(name, profile));
    for (const m of data) addMessage(m);
    heldUpTo(data); // the newest page holds every message up to its last
    showEarlier(data.length >= PAGE);
    resumeOutbox(pageId, data);
    markRead();
    $("#text").focus();
  }

  // ---- the business's Messenger Profile -------------------------------------------------
  // Before the first message: the greeting, Get Started and the ice breakers. The menu sits
  // beside the text box (which goes when the business disables it). Each sends a postback.
  function helloCard(name, profile) {
    const card = el("div", { class: "hello hello-card", "data-testid": "hello" });
    const greeting = profile && profile.greeting;
    card.append(
      el("p", {
        class: greeting ? "greeting" : "empty",
        "data-testid": greeting ? "greeting" : null,
        text: greeting || t("start_conversation", { name }),
      }),
    );
    if (profile && profile.get_started) {
      card.append(
        el("button", {
          type: "button",
          class: "primary",
          "data-testid": "get-started",
          text: profile.get_started_title,
          onclick: () => getStarted(card),
        }),
      );
    }
    const breakers = (profile && profile.ice_breakers) || [];
    if (breakers.length) {
      const box = el("div", { class: "ice-breakers" });
      for (const q of breakers) {
        box.append(
          el("button", {
            type: "button",
            class: "btn",
            "data-testid": "ice-breaker",
            text: q.question,
            onclick: () => {
              card.remove();
              send({ postback: { title: q.question, payload: q.payload } }, q.question);
            },
          }),
        );
      }
      card.append(box);
    }
    return card;
  }

  async function getStarted(card) {
    const pageId = state.current;
    const body = state.ref ? { ref: state.ref } : {};
    state.ref = null; // a link's ref goes with the first Get Started only
    card.hidden = true;
    try {
      await api("POST", `/api/v1/threads/${encodeURIComponent(pageId)}/get_started`, body);
      refreshThreads(200);
    } catch (e) {
      card.hidden = false;
      card.title = e.message;
    }
  }

  function renderMenu(menu) {
    const panel = $("#menu-panel");
    const toggle = $("#menu-toggle");
    const items = (menu && menu.call_to_actions) || [];
    const composerOff = Boolean(menu && menu.composer_input_disabled);
    panel.hidden = true;
    panel.replaceChildren();
    toggle.hidden = items.length === 0;
    toggle.setAttribute("aria-expanded", "false");
    $("#text").hidden = composerOff;
    $("#send").hidden = composerOff;
    $("#attach-label").hidden = composerOff;
    $("#composer").classList.toggle("menu-only", composerOff);
    toggle.onclick = () => {
      const open = panel.hidden;
      if (open) showMenuLevel(items, []);
      panel.hidden = !open;
      toggle.setAttribute("aria-expanded", String(open));
    };
  }

  function showMenuLevel(items, trail) {
    const panel = $("#menu-panel");
    panel.replaceChildren();
    const close = () => {
      panel.hidden = true;
      $("#menu-toggle").setAttribute("aria-expanded", "false");
    };
    if (trail.length) {
      const up = trail[trail.length - 1];
      panel.append(
        el("button", {
          type: "button",
          class: "btn",
          text: "‹ " + t("menu_back"),
          onclick: () => showMenuLevel(up, trail.slice(0, -1)),
        }),
      );
    }
    for (const item of items) {
      if (item.type === "postback") {
        panel.append(
          el("button", {
            type: "button",
            class: "btn",
            "data-testid": "menu-item",
            text: item.title,
            onclick: () => {
              close();
              send({ postback: { title: item.title, payload: item.payload } }, item.title);
            },
          }),
        );
      } else if (item.type === "nested") {
        panel.append(
          el("button", {
            type: "button",
            class: "btn",
            "data-testid": "menu-item",
            text: item.title + " ›",
            onclick: () => showMenuLevel(item.call_to_actions || [], [...trail, items]),
          }),
        );
      } else if (item.type === "web_url" && safeUrl(item.url)) {
        panel.append(
          el("a", {
            class: "btn",
            href: safeUrl(item.url),
            target: "_blank",
            rel: "noopener noreferrer",
            "data-testid": "menu-item",
            text: item.title,
            onclick: close,
          }),
        );
      }
    }
  }

  function oldestMid() {
    let first = null;
    for (const m of state.byMid.values()) if (!first || timeOf(m) < timeOf(first)) first = m;
    return first ? first.mid : null;
  }

  function showEarlier(more) {
    const box = $("#messages");
    const old = box.querySelector(".earlier");
    if (old) old.remove();
    if (!more) return;
    box.prepend(
      el("button", {
        type: "button",
        class: "earlier ghost",
        "data-testid": "load-earlier",
        text: t("load_earlier"),
        onclick: loadEarlier,
      }),
    );
  }

  async function loadEarlier() {
    const pageId = state.current;
    const before = oldestMid();
    if (!pageId || !before) return;
    const box = $("#messages");
    const height = box.scrollHeight;
    const q = `?limit=${PAGE}&before=${encodeURIComponent(before)}`;
    const data = (await api("GET", `/api/v1/threads/${encodeURIComponent(pageId)}/messages${q}`)).data;
    if (state.current !== pageId) return;
    for (const m of data) addMessage(m, true);
    showEarlier(data.length >= PAGE);
    box.scrollTop = box.scrollHeight - height; // keep the reader where they were
  }

  function heldUpTo(data) {
    const last = data.length ? data[data.length - 1].seq : 0;
    if (typeof last === "number" && last > state.upto) state.upto = last;
    while (state.seqs.has(state.upto + 1)) state.upto += 1;
  }

  // Refill the open thread after the last number held; one refill at a time (a frame that
  // finds one running asks for another round).
  async function fillGap() {
    if (state.filling) {
      state.fillAgain = true;
      return;
    }
    state.filling = true;
    try {
      do {
        state.fillAgain = false;
        await fillOnce();
      } while (state.fillAgain);
    } finally {
      state.filling = false;
    }
  }

  async function fillOnce() {
    const pageId = state.current;
    if (!pageId) return;
    for (let round = 0; round < 20; round++) {
      const after = state.upto;
      const q = after ? `?limit=200&after_seq=${after}` : `?limit=${PAGE}`;
      const data = (await api("GET", `/api/v1/threads/${encodeURIComponent(pageId)}/messages${q}`)).data;
      if (state.current !== pageId) return;
      for (const m of data) addMessage(m);
      heldUpTo(data); // history holds every message after `after`, up to its last
      if (!after || data.length < 200) break;
    }
    markRead();
  }

  let readTimer = null;
  let readPage = null;
  function flushRead() {
    clearTimeout(readTimer);
    const pageId = readPage;
    readPage = null;
    if (pageId && document.visibilityState !== "hidden") {
      api("POST", `/api/v1/threads/${encodeURIComponent(pageId)}/read`).then(
        () => refreshThreads(50),
        () => {},
      );
    }
  }
  function markRead() {
    // Debounced: a burst of messages costs one read mark; leaving the thread flushes it.
    if (readPage && readPage !== state.current) flushRead();
    readPage = state.current;
    clearTimeout(readTimer);
    readTimer = setTimeout(flushRead, 300);
  }

  function addMessage(m, older) {
    if (state.byMid.has(m.mid)) return false;
    // Our own message, from the stream or history: it replaces its pending bubble.
    if (m.from === "user") {
      let i = state.pending.findIndex((p) => p.mid === m.mid);
      if (i < 0) i = state.pending.findIndex((p) => !p.mid && p.text === m.text);
      if (i >= 0) {
        const [p] = state.pending.splice(i, 1);
        p.el.remove();
      }
    }
    state.byMid.set(m.mid, m);
    if (typeof m.seq === "number") state.seqs.add(m.seq);
    const box = $("#messages");
    const hello = box.querySelector(".hello");
    if (hello) hello.remove();
    const node = renderMessage(m);
    // Keep time order even when history and live frames interleave.
    let before = null;
    for (const child of box.children) {
      const other = state.byMid.get(child.dataset.mid);
      if (other && comesAfter(other, m, older)) {
        before = child;
        break;
      }
    }
    box.insertBefore(node, before || box.querySelector(".pending"));
    groupBursts();
    if (m.notice && m.notice.kind === "erased") foldErased(box);
    renderChips();
    renderSeen();
    if (!older) box.scrollTop = box.scrollHeight;
    return true;
  }

  // Updates erased with the data they came from (unlinking, retention): a run of them is one
  // line ("12 updates from Demo Bank were erased when you unlinked"), not a wall of bubbles.
  function foldErased(box) {
    let run = [];
    const fold = () => {
      run.forEach((node, i) => {
        node.hidden = i < run.length - 1;
      });
      const last = run[run.length - 1];
      const m = last && state.byMid.get(last.dataset.mid);
      if (m) {
        const reason = m.notice.reason === "retention" ? "retention" : "unlinked";
        last.querySelector(".text").textContent =
          run.length > 1 ? t(`erased_updates_${reason}`, { n: run.length, bank: state.currentName }) : m.text;
        last.dataset.count = String(run.length);
      }
      run = [];
    };
    for (const child of box.children) {
      if (child.dataset.kind === "erased") run.push(child);
      else fold();
    }
    fold();
  }

  // The thread's order: by number when both have one, else by time.
  function comesAfter(other, m, older) {
    if (typeof other.seq === "number" && typeof m.seq === "number") return other.seq > m.seq;
    return older ? timeOf(other) >= timeOf(m) : timeOf(other) > timeOf(m);
  }

  // A person (an agent of the business) answers: say so, by name, above the thread.
  function showAgent(who) {
    const box = $("#agent");
    box.hidden = !(who && who.human);
    if (!who || !who.human) return;
    box.textContent = who.agent
      ? t("agent_answering", { name: who.agent.name, bank: state.currentName })
      : t("agent_waiting", { bank: state.currentName });
  }

  function typingChanged() {
    // Tell the business's agents we are typing, at most every 3 s (best effort).
    if (!state.current || Date.now() - state.myTypingAt < 3000) return;
    state.myTypingAt = Date.now();
    api("POST", `/api/v1/threads/${encodeURIComponent(state.current)}/typing`, { typing: true }).catch(() => {});
  }

  function renderMessage(m) {
    if (m.notice && m.from === "page" && m.text) {
      // The platform's own word about the thread (an agent left): a line, not a bubble.
      return el(
        "div",
        { class: "msg sys", "data-mid": m.mid, "data-testid": "notice", "data-kind": String(m.notice.kind || "") },
        el("p", { class: "text", text: m.text }),
        el("time", { datetime: m.created_time, text: shortTime(m) }),
      );
    }
    const bubble = el("div", { class: "bubble" });
    const summary = summaryOf(m);
    const update = summary ? null : updateOf(m);
    if (m.text && !update && !(m.attachment && m.attachment.type === "template")) {
      bubble.append(el("p", { class: "text", text: m.text }));
    }
    if (summary) {
      bubble.classList.add("bubble-card");
      bubble.append(renderCard(m, summary, false));
    } else if (update) {
      bubble.classList.add("bubble-card");
      bubble.append(renderUpdateCard(m, update));
    } else if (m.attachment) bubble.append(renderAttachment(m.attachment, m.state));
    for (const att of m.attachments || []) bubble.append(renderAttachment(att, null));
    const kind = summary ? summary.kind : update ? update.kind : null;
    return el(
      "div",
      { class: `msg ${m.from}` + (m.agent ? " agent" : ""), "data-mid": m.mid, "data-testid": "message", "data-kind": kind },
      m.agent ? el("span", { class: "agent-label", "data-testid": "agent-label", text: t("agent_label", { name: m.agent.name }) }) : null,
      m.persona && !m.agent ? el("span", { class: "agent-label persona-label", "data-testid": "persona-label", text: t("persona_label", { name: m.persona.name, bank: state.currentName }) }) : null,
      bubble,
      el("time", { datetime: m.created_time, text: shortTime(m) }),
    );
  }

  // Attachments are Ledgerline's own copies (/attachments/…): loaded from this origin only,
  // never from a bank's server.
  const mediaUrl = (url) => {
    const u = safeUrl(url);
    if (!u) return null;
    const parsed = new URL(u);
    if (/^\/attachments\/[0-9]+\/[0-9a-f]+$/.test(parsed.pathname)) return parsed.pathname;
    if (parsed.pathname === "/attachments/remote") return parsed.pathname + parsed.search;
    return null;
  };

  function renderMedia(kind, url) {
    const src = mediaUrl(url);
    if (!src) return el("p", { class: "muted", text: t("unsupported") });
    if (kind === "image") return el("img", { class: "media", src, alt: "", "data-testid": "media-image" });
    if (kind === "video") return el("video", { class: "media", src, controls: true, preload: "metadata" });
    if (kind === "audio") return el("audio", { src, controls: true, preload: "metadata" });
    return el("a", { class: "btn file-link", href: src, download: "", "data-testid": "media-file", text: "📄 " + t("attachment_file") });
  }

  function renderAttachment(att, st) {
    const p = att.payload || {};
    if (["image", "video", "audio", "file"].includes(att.type)) return renderMedia(att.type, p.url);
    if (att.type !== "template") return el("p", { class: "muted", text: t("unsupported") });
    if (p.template_type === "media") {
      const e = (p.elements || [])[0] || {};
      return el("div", { class: "tpl tpl-media", "data-testid": "template-media" }, renderMedia(e.media_type, e.url), answerArea(st, e.buttons));
    }
    if (p.template_type === "button") {
      return el(
        "div",
        { class: "tpl tpl-button", "data-testid": "template-button" },
        el("p", { class: "text", text: p.text || "" }),
        answerArea(st, p.buttons),
      );
    }
    if (p.template_type === "generic") {
      const cards = el("div", { class: "tpl tpl-generic", "data-testid": "template-generic" });
      for (const e of p.elements || []) {
        const img = mediaUrl(e.image_url);
        const link = e.default_action && safeUrl(e.default_action.url);
        const title = el("strong", { text: e.title || "" });
        cards.append(
          el(
            "article",
            { class: "card-el" },
            img ? el("img", { src: img, alt: "", loading: "lazy" }) : null,
            el(
              "div",
              { class: "card-body" },
              link
                ? el("a", { href: link, target: "_blank", rel: "noopener noreferrer" }, title)
                : title,
              e.subtitle ? el("p", { class: "muted", text: e.subtitle }) : null,
            ),
            renderButtons(e.buttons),
          ),
        );
      }
      return cards;
    }
    if (p.template_type === "receipt") return renderReceipt(p);
    return el("p", { class: "muted", text: t("unsupported") });
  }

  // ---- payment and alert cards ----------------------------------------------------------
  // A button template with a ``summary`` (Ledgerline's extension) is a card: amount and
  // merchant first. A fraud alert's card is distinct (warning colour and icon) and stays
  // answerable until its state says answered or expired.
  function summaryOf(m) {
    const p = m && m.attachment && m.attachment.type === "template" && m.attachment.payload;
    return p && p.template_type === "button" && p.summary && typeof p.summary === "object" ? p.summary : null;
  }

  function effectiveState(st) {
    if (!st) return null;
    if (st.status === "open" && st.expires_time && Date.now() > Date.parse(st.expires_time)) {
      return { ...st, status: "expired" };
    }
    return st;
  }

  function dateTime(iso) {
    return new Date(Date.parse(iso)).toLocaleString(LOCALE === "vi" ? "vi-VN" : "en-GB", {
      day: "numeric",
      month: "short",
      hour: "2-digit",
      minute: "2-digit",
    });
  }

  // Buttons while the question is open; its answer and what follows once answered.
  function answerArea(st, buttons) {
    const now = effectiveState(st);
    if (!now || now.status === "open") return renderButtons(buttons);
    if (now.status === "answered") {
      return el(
        "div",
        { class: "outcome", role: "status", "data-testid": "outcome" },
        el("strong", { class: "outcome-answer", text: t("you_answered", { answer: now.answer || "" }) }),
        now.note ? el("p", { class: "outcome-note", text: now.note }) : null,
      );
    }
    if (now.status === "expired") {
      return el("p", {
        class: "outcome expired",
        "data-testid": "outcome",
        text: t("question_expired", { time: now.expires_time ? dateTime(now.expires_time) : "" }),
      });
    }
    return el("p", { class: "outcome superseded", "data-testid": "outcome", text: t("question_superseded") });
  }

  function renderCard(m, s, pinned) {
    const p = m.attachment.payload;
    const alert = s.kind === "fraud_alert";
    const now = effectiveState(m.state);
    const status = now ? now.status : "open";
    const what = [s.amount, s.merchant].filter(Boolean).join(" · ");
    const label = alert ? t("alert_label", { what }) : t("payment_label", { what });
    const meta = [s.card, s.time, s.pending ? t("pending") : null].filter(Boolean).join(" · ");
    return el(
      "article",
      {
        class: `pay-card ${alert ? "alert-card" : "payment-card"} state-${status}` + (pinned ? " pinned-card" : ""),
        role: alert && status === "open" ? "alert" : "group",
        "aria-label": label,
        "data-testid": alert ? (pinned ? "pinned-alert" : "alert-card") : "payment-card",
        "data-state": status,
      },
      el(
        "header",
        { class: "pay-head" },
        alert ? el("span", { class: "pay-icon", "aria-hidden": "true", text: "⚠" }) : null,
        el("span", { class: "pay-kind", text: alert ? t(s.confirmation ? "confirm_title" : "alert_title") : t("payment_title") }),
      ),
      s.amount ? el("p", { class: "pay-amount", text: s.amount }) : null,
      s.merchant ? el("p", { class: "pay-merchant", text: s.merchant }) : null,
      meta ? el("p", { class: "pay-meta", text: meta }) : null,
      alert ? el("p", { class: "text", text: p.text || "" }) : el("p", { class: "visually-hidden", text: p.text || "" }),
      answerArea(m.state, p.buttons),
    );
  }

  // ---- update cards ----------------------------------------------------------------------
  // Money received, balances, low balance and deliveries carry ``update`` (a Ledgerline
  // extension of the message, formatted for the person; docs/updates.md): drawn as compact
  // cards like a banking app's, the sentence kept for screen readers and other clients.
  const UPDATE_KINDS = ["credit", "balance", "low_balance", "shipment"];

  function updateOf(m) {
    const u = m && m.from === "page" && m.update;
    return u && typeof u === "object" && UPDATE_KINDS.includes(u.kind) ? u : null;
  }

  function renderUpdateCard(m, u) {
    const p = (m.attachment && m.attachment.type === "template" && m.attachment.payload) || {};
    const sentence = m.text || p.text || "";
    let title, big, line, meta, label, extra = "";
    if (u.kind === "credit") {
      title = t("credit_title");
      big = "+" + (u.amount || "");
      line = u.merchant || "";
      meta = [u.card, u.time, u.pending ? t("pending") : null].filter(Boolean).join(" · ");
      label = t("credit_label", { amount: u.amount || "" });
    } else if (u.kind === "balance") {
      title = t("balance_title");
      big = u.available || "";
      line = u.account || "";
      meta = [t("balance_current", { amount: u.current || "" }), u.time].filter(Boolean).join(" · ");
      label = t("balance_label", { account: u.account || "", amount: u.available || "" });
    } else if (u.kind === "low_balance") {
      title = t("low_balance_title");
      big = u.available || "";
      line = u.account || "";
      meta = t("low_balance_limit", { amount: u.threshold || "" });
      label = t("low_balance_label", { account: u.account || "", amount: u.available || "" });
      extra = " warn-card";
    } else {
      title = t("shipment_title");
      big = u.status_text || "";
      line = t("shipment_order", { order: u.order || "", carrier: u.carrier || "" });
      meta = u.eta ? t("shipment_eta", { time: u.eta }) : "";
      label = t("shipment_label", { order: u.order || "", status: u.status_text || "" });
      extra = " ship-" + String(u.status || "");
    }
    return el(
      "article",
      { class: `pay-card update-card kind-${u.kind}` + extra, role: "group", "aria-label": label, "data-testid": "update-card", "data-kind": u.kind },
      el(
        "header",
        { class: "pay-head" },
        u.kind === "low_balance" ? el("span", { class: "pay-icon", "aria-hidden": "true", text: "⚠" }) : null,
        el("span", { class: "pay-kind", text: title }),
      ),
      big ? el("p", { class: "pay-amount", text: big }) : null,
      line ? el("p", { class: "pay-merchant", text: line }) : null,
      meta ? el("p", { class: "pay-meta", text: meta }) : null,
      el("p", { class: "visually-hidden", text: sentence }),
      p.buttons ? renderButtons(p.buttons) : null,
    );
  }

  // Card payments that come in a burst (one after another, minutes apart) are one group:
  // a heading with their count, compact cards, one time under the last.
  const BURST_MS = 30 * 60 * 1000;

  function groupBursts() {
    const box = $("#messages");
    for (const n of box.querySelectorAll(".burst-head")) n.remove();
    for (const n of box.querySelectorAll(".msg.in-burst")) n.classList.remove("in-burst", "burst-last");
    let run = [];
    const flush = () => {
      if (run.length >= 2) {
        for (const r of run) r.node.classList.add("in-burst");
        run[run.length - 1].node.classList.add("burst-last");
        box.insertBefore(
          el("p", { class: "burst-head", "data-testid": "burst", text: t("burst_label", { count: run.length }) }),
          run[0].node,
        );
      }
      run = [];
    };
    for (const child of [...box.children]) {
      if (child.dataset.kind !== "payment") {
        flush();
        continue;
      }
      const time = child.querySelector("time");
      const at = time ? Date.parse(time.getAttribute("datetime")) : 0;
      if (run.length && Math.abs(at - run[run.length - 1].at) > BURST_MS) flush();
      run.push({ node: child, at });
    }
    flush();
  }

  // Open alerts stay pinned above the thread until answered or expired.
  async function loadPinned() {
    const pageId = state.current;
    if (!pageId) return;
    try {
      const data = (await api("GET", `/api/v1/threads/${encodeURIComponent(pageId)}/alerts`)).data;
      if (state.current !== pageId) return;
      state.pinned = data;
    } catch (e) {
      return;
    }
    renderPinned();
  }

  function renderPinned() {
    const box = $("#pinned");
    box.replaceChildren();
    const open = state.pinned.filter((a) => {
      const m = state.byMid.get(a.mid) || a.message;
      const now = effectiveState(m.state);
      return !now || now.status === "open";
    });
    box.hidden = open.length === 0;
    for (const a of open) {
      const m = state.byMid.get(a.mid) || a.message;
      const s = summaryOf(m);
      if (s) box.append(renderCard(m, s, true));
    }
  }

  // A question's state changed (answered, superseded): redraw it where it is shown.
  function onState(frame) {
    const m = state.byMid.get(frame.mid);
    if (m) {
      m.state = frame.state;
      const old = $("#messages").querySelector(`[data-mid="${CSS.escape(frame.mid)}"]`);
      if (old) old.replaceWith(renderMessage(m));
    }
    for (const a of state.pinned) if (a.mid === frame.mid) a.message.state = frame.state;
    renderPinned();
  }

  // An amount in the page's language ("₫58,000" / "58.000 ₫"); as sent when it is not a number.
  function money(v, cur) {
    if (v === undefined || v === null || v === "") return "";
    const n = Number(v);
    if (cur && Number.isFinite(n)) {
      try {
        return new Intl.NumberFormat(LOCALE === "vi" ? "vi-VN" : "en-US", {
          style: "currency",
          currency: cur,
        }).format(n);
      } catch (e) {
        /* an unknown currency code: fall through */
      }
    }
    return `${v} ${cur || ""}`.trim();
  }

  function renderReceipt(p) {
    const cur = p.currency || "";
    const amount = (v) => money(v, cur);
    const row = (label, value, cls) =>
      value === "" || value === undefined
        ? null
        : el("div", { class: "r-row " + (cls || "") }, el("span", { text: label }), el("span", { text: value }));
    const items = el("div", { class: "r-items" });
    for (const e of p.elements || []) {
      const img = mediaUrl(e.image_url);
      items.append(
        el(
          "div",
          { class: "r-item" },
          img ? el("img", { src: img, alt: "" }) : null,
          el(
            "div",
            { class: "r-item-body" },
            el("strong", { text: e.title || "" }),
            e.subtitle ? el("span", { class: "muted", text: e.subtitle }) : null,
            e.quantity ? el("span", { class: "muted", text: "× " + e.quantity }) : null,
          ),
          el("span", { class: "r-price", text: money(e.price, e.currency || cur) }),
        ),
      );
    }
    const s = p.summary || {};
    const a = p.address;
    const address = a
      ? [a.street_1, a.street_2, a.city, a.state, a.postal_code, a.country].filter(Boolean).join(", ")
      : "";
    const adjustments = (p.adjustments || []).map((x) => row(x.name || "", amount(x.amount)));
    return el(
      "div",
      { class: "tpl tpl-receipt", "data-testid": "template-receipt" },
      el("div", { class: "r-head" }, el("strong", { text: t("receipt") }), el("span", { text: p.recipient_name || "" })),
      row(t("order_number"), p.order_number),
      row(t("payment_method"), p.payment_method),
      items,
      ...adjustments,
      row(t("subtotal"), amount(s.subtotal)),
      row(t("shipping"), amount(s.shipping_cost)),
      row(t("tax"), amount(s.total_tax)),
      row(t("total"), amount(s.total_cost), "r-total"),
      address ? row(t("ship_to"), address) : null,
      p.order_url && safeUrl(p.order_url)
        ? el("a", { class: "btn", href: safeUrl(p.order_url), target: "_blank", rel: "noopener noreferrer", text: t("open_link") })
        : null,
    );
  }

  function renderButtons(buttons) {
    if (!buttons || !buttons.length) return null;
    const box = el("div", { class: "buttons" });
    for (const b of buttons) {
      if (b.type === "postback") {
        box.append(
          el("button", {
            type: "button",
            class: "btn",
            text: b.title,
            "data-testid": "postback",
            onclick: () => send({ postback: { title: b.title, payload: b.payload } }, b.title),
          }),
        );
      } else if (b.type === "web_url" && safeUrl(b.url)) {
        box.append(el("a", { class: "btn", href: safeUrl(b.url), target: "_blank", rel: "noopener noreferrer", text: b.title }));
      } else if (b.type === "account_link" && safeUrl(b.url)) {
        const href =
          "/account_linking/consent?page_id=" +
          encodeURIComponent(state.current) +
          "&url=" +
          encodeURIComponent(b.url);
        box.append(el("a", { class: "btn primary", href, "data-testid": "account-link", text: t("link_account") }));
      } else if (b.type === "account_unlink") {
        // Messenger's Log Out: the privacy centre's confirmation step for this business.
        const href = `/privacy/links/${encodeURIComponent(state.current)}/unlink`;
        box.append(el("a", { class: "btn", href, "data-testid": "account-unlink", text: b.title || t("unlink_account") }));
      } else if (b.type === "phone_number" && b.payload) {
        box.append(el("a", { class: "btn", href: "tel:" + String(b.payload).replace(/[^0-9+]/g, ""), text: b.title || t("call") }));
      }
    }
    return box;
  }

  function latest() {
    let last = null;
    for (const m of state.byMid.values()) if (!last || timeOf(m) >= timeOf(last)) last = m;
    return last;
  }

  function renderChips() {
    const box = $("#chips");
    box.replaceChildren();
    const m = latest();
    if (!m || m.from !== "page" || !m.quick_replies) return;
    for (const q of m.quick_replies) {
      if (q.content_type && q.content_type !== "text") continue;
      const img = mediaUrl(q.image_url);
      box.append(
        el(
          "button",
          {
            type: "button",
            class: "chip",
            "data-testid": "quick-reply",
            onclick: () => {
              box.replaceChildren();
              send({ quick_reply: { title: q.title, payload: q.payload } }, q.title);
            },
          },
          img ? el("img", { src: img, alt: "" }) : null,
          q.title,
        ),
      );
    }
  }

  function renderSeen() {
    const box = $("#messages");
    for (const old of box.querySelectorAll(".receipt-mark")) old.remove();
    let lastUser = null;
    for (const node of box.querySelectorAll(".msg.user[data-mid]")) lastUser = node;
    if (!lastUser) return;
    const m = state.byMid.get(lastUser.dataset.mid);
    const seen = m && state.readWatermark >= timeOf(m);
    lastUser.append(
      el("span", { class: "receipt-mark", "data-testid": seen ? "seen" : "sent", text: seen ? t("seen") : t("sent") }),
    );
  }

  function showTyping(on) {
    const box = $("#typing");
    clearTimeout(state.typingTimer);
    box.hidden = !on;
    box.textContent = on ? t("typing", { name: state.currentName }) : "";
    if (on) state.typingTimer = setTimeout(() => showTyping(false), 20000);
  }

  // A photo or file the person picks: uploaded as multipart (the bank gets a message with
  // attachments); the thread shows it when the stream echoes it back.
  async function sendFile() {
    const input = $("#attach");
    const file = input.files && input.files[0];
    input.value = "";
    const pageId = state.current;
    if (!file || !pageId) return;
    const form = new FormData();
    form.append("filedata", file, file.name);
    const res = await fetch(`/api/v1/threads/${encodeURIComponent(pageId)}/attachments`, {
      method: "POST",
      headers: { Accept: "application/json", "X-CSRF-Token": CSRF },
      credentials: "same-origin",
      body: form,
    });
    if (!res.ok) {
      const data = await res.json().catch(() => ({}));
      setStatus((data.error && data.error.message) || t("send_failed"));
      return;
    }
    refreshThreads(200);
  }

  // ---- the outbox: what the person sent that the server has not yet accepted ----------
  // Kept on this device (localStorage, per person) until the server answers 201, so a
  // reload, a crash or a lost network loses nothing; retried when the chat opens again and
  // when the connection comes back. An item whose text the thread already holds (sent
  // just before the page went away, the answer lost) is dropped, not sent twice.
  const OUTBOX = "ll.outbox." + meta("ll-outbox");
  const SENT_SLACK_MS = 10 * 60 * 1000;

  function outbox() {
    try {
      const items = JSON.parse(window.localStorage.getItem(OUTBOX) || "[]");
      return Array.isArray(items) ? items : [];
    } catch (e) {
      return [];
    }
  }

  function saveOutbox(items) {
    try {
      if (items.length) window.localStorage.setItem(OUTBOX, JSON.stringify(items));
      else window.localStorage.removeItem(OUTBOX);
    } catch (e) {
      /* storage full or disabled: the message still shows as failed, with its retry */
    }
  }

  function keep(item) {
    saveOutbox([...outbox().filter((o) => o.id !== item.id), item]);
  }

  function forget(item) {
    saveOutbox(outbox().filter((o) => o.id !== item.id));
  }

  function resumeOutbox(pageId, history) {
    for (const item of outbox()) {
      if (item.page_id !== pageId || state.pending.some((p) => p.item && p.item.id === item.id)) continue;
      const already = history.some(
        (m) => m.from === "user" && m.text === item.label && Date.parse(m.created_time) >= item.at - SENT_SLACK_MS,
      );
      if (already) forget(item);
      else send(item.body, item.label, item);
    }
  }

  // Back online: the messages that failed in the open chat go again, once each.
  function retryFailed() {
    for (const p of [...state.pending]) {
      if (p.failed && p.item && !p.sending) p.retry();
    }
  }

  async function send(body, label, saved) {
    const pageId = saved ? saved.page_id : state.current;
    if (!pageId) return;
    const item = saved || {
      id: Date.now().toString(36) + Math.random().toString(36).slice(2, 10),
      page_id: pageId,
      name: state.currentName,
      body,
      label,
      at: Date.now(),
    };
    keep(item);
    const node = el(
      "div",
      { class: "msg user pending", "data-testid": "outgoing" },
      el("div", { class: "bubble" }, el("p", { class: "text", text: label })),
    );
    const pending = { el: node, text: label, mid: null, item, failed: false, sending: true };
    pending.retry = () => {
      const i = state.pending.indexOf(pending);
      if (i >= 0) state.pending.splice(i, 1);
      node.remove();
      send(body, label, item);
    };
    state.pending.push(pending);
    if (state.current === pageId) {
      $("#messages").append(node);
      $("#messages").scrollTop = $("#messages").scrollHeight;
    }
    try {
      const out = await api("POST", `/api/v1/threads/${encodeURIComponent(pageId)}/messages`, body);
      forget(item);
      pending.sending = false;
      // Accepted: the bubble waits for the stream's echo (or the gap fill after a
      // reconnect), which carries the server's time and replaces it.
      pending.mid = out.mid;
      node.classList.add("accepted");
      if (state.byMid.has(out.mid) || state.current !== pageId) {
        const i = state.pending.indexOf(pending);
        if (i >= 0) state.pending.splice(i, 1);
        node.remove();
      }
      refreshThreads(200);
    } catch (e) {
      pending.sending = false;
      pending.failed = true;
      if (e.status && e.status >= 400 && e.status < 500 && e.status !== 401 && e.status !== 429) {
        forget(item); // refused for good (e.g. too long): retrying would not help
      }
      node.classList.add("failed");
      node.title = e.message;
      node.append(el("button", {
        type: "button",
        class: "retry",
        "data-testid": "retry",
        text: t("send_failed"),
        onclick: pending.retry,
      }));
      // The line came after the scroll to the bottom: bring it into view, not cut off.
      if (node.isConnected) node.scrollIntoView({ block: "nearest" });
    }
  }

  // ---- notifications ---------------------------------------------------------------------
  // While the tab is hidden, a message from a business shows a system notification through
  // the service worker (a fraud alert stays until dismissed). Which kinds notify is the
  // person's choice (kept on this device; the same topics go with a Web Push subscription).
  const TOPICS = ["alerts", "payments", "updates", "messages"];
  const DEFAULT_TOPICS = ["alerts", "payments", "messages"];

  function chosenTopics() {
    try {
      const saved = JSON.parse(window.localStorage.getItem("ll.notify.topics") || "null");
      if (Array.isArray(saved)) return saved.filter((x) => TOPICS.includes(x));
    } catch (e) {
      /* unreadable: the defaults */
    }
    return DEFAULT_TOPICS.slice();
  }

  function topicOf(m) {
    const s = summaryOf(m);
    if (s) return s.kind === "fraud_alert" ? "alerts" : "payments";
    return m.attachment ? "updates" : "messages";
  }

  let workerReady = null;
  function serviceWorker() {
    if (!workerReady && "serviceWorker" in navigator) {
      workerReady = navigator.serviceWorker.register("/sw.js", { scope: "/" }).then(() => navigator.serviceWorker.ready);
      workerReady.catch(() => {});
    }
    return workerReady;
  }

  function notificationText(frame) {
    const m = frame.message;
    const s = summaryOf(m);
    const name = (state.threads.find((th) => th.page_id === frame.page_id) || {}).page_name || "Ledgerline";
    if (s && s.kind === "fraud_alert") {
      return { title: `⚠ ${t("alert_title")} — ${name}`, body: [s.amount, s.merchant].filter(Boolean).join(" · ") + "\n" + t("alert_question") };
    }
    return { title: name, body: preview(m) };
  }

  async function notify(frame) {
    if (document.visibilityState !== "hidden") return;
    if (!("Notification" in window) || Notification.permission !== "granted") return;
    const topic = topicOf(frame.message);
    if (!chosenTopics().includes(topic)) return;
    const ready = serviceWorker();
    if (!ready) return;
    const reg = await ready;
    const { title, body } = notificationText(frame);
    await reg.showNotification(title, {
      body,
      tag: frame.message.mid,
      icon: "/static/icon-192.png",
      badge: "/static/icon-192.png",
      requireInteraction: topic === "alerts",
      data: { page_id: frame.page_id, mid: frame.message.mid, topic },
    });
  }

  function renderNotifySettings() {
    const box = $("#notify-settings");
    if (!box) return;
    const chosen = chosenTopics();
    for (const input of box.querySelectorAll("input[name=topic]")) input.checked = chosen.includes(input.value);
    const state_ = !("Notification" in window) ? "unsupported" : Notification.permission;
    $("#notify-status").textContent = t("notify_" + state_);
  }

  async function saveNotifySettings(ev) {
    ev.preventDefault();
    const topics = [...$("#notify-settings").querySelectorAll("input[name=topic]:checked")].map((i) => i.value);
    window.localStorage.setItem("ll.notify.topics", JSON.stringify(topics));
    if ("Notification" in window && Notification.permission === "default") await Notification.requestPermission();
    if ("Notification" in window && Notification.permission === "granted") {
      serviceWorker();
      await subscribePush(topics).catch(() => {});
    }
    renderNotifySettings();
    $("#notify-saved").hidden = false;
  }

  // Web Push (for when no tab is open): the deployment's VAPID key, the browser's
  // subscription, sent to Ledgerline with the chosen topics.
  async function subscribePush(topics) {
    const ready = serviceWorker();
    if (!ready || !("PushManager" in window)) return;
    const reg = await ready;
    const key = await api("GET", "/api/v1/push/key").catch(() => null);
    if (!key || !key.public_key) return;
    const raw = atob(key.public_key.replace(/-/g, "+").replace(/_/g, "/"));
    const appKey = Uint8Array.from(raw, (c) => c.charCodeAt(0));
    let sub = await reg.pushManager.getSubscription();
    if (!sub) sub = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: appKey });
    const json = sub.toJSON();
    await api("POST", "/api/v1/push/subscriptions", { endpoint: json.endpoint, keys: json.keys, topics });
  }

  // ---- live stream ---------------------------------------------------------------------
  function setStatus(text) {
    const s = $("#status");
    s.hidden = !text;
    s.textContent = text || "";
  }

  function later(delay) {
    clearTimeout(state.retryTimer);
    state.retryTimer = setTimeout(connect, delay);
  }

  function connect() {
    clearTimeout(state.retryTimer);
    if (state.ws && state.ws.readyState <= 1) return; // connecting or open already
    if (Date.now() < state.holdUntil) {
      later(state.holdUntil - Date.now());
      return;
    }
    const proto = window.location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(`${proto}//${window.location.host}/api/v1/stream`);
    state.ws = ws;
    ws.onopen = () => {
      const reconnected = state.attempt > 0 || state.everConnected;
      state.attempt = 0;
      state.connected = true;
      state.everConnected = true;
      setStatus("");
      document.body.dataset.live = "1";
      if (reconnected) {
        fillGap().catch(() => {});
        refreshThreads(0);
      }
      retryFailed();
    };
    ws.onmessage = (ev) => {
      let frame;
      try {
        frame = JSON.parse(ev.data);
      } catch (e) {
        return;
      }
      onFrame(frame);
    };
    ws.onclose = () => {
      if (state.ws !== ws) return;
      state.connected = false;
      document.body.dataset.live = "0";
      setStatus(navigator.onLine === false ? t("offline") : t("connecting"));
      const delay = Math.min(10000, 500 * 2 ** state.attempt) * (0.75 + Math.random() * 0.5);
      state.attempt += 1;
      if (state.attempt > 2) refreshThreads(0); // a 401 here means the session ended
      later(delay);
    };
  }

  // The network went away: a socket may linger half-open without noticing, so drop it and
  // say so. It came back (or the page is shown again): reconnect now, not after the backoff;
  // the reconnect fills the gap from the history.
  function onOffline() {
    setStatus(t("offline"));
    if (state.ws && state.ws.readyState <= 1) state.ws.close(4001, "offline");
  }
  function onOnline() {
    if (state.connected) return;
    state.attempt = Math.min(state.attempt, 1);
    connect();
  }

  function onFrame(frame) {
    if (frame.type === "message") {
      if (frame.page_id === state.current) {
        addMessage(frame.message);
        if (frame.message.seq > state.upto + 1) fillGap().catch(() => {});
        else heldUpTo([]);
        if (frame.message.from === "page") {
          showTyping(false);
          markRead();
        }
        const s = summaryOf(frame.message);
        if (s && s.kind === "fraud_alert") loadPinned();
      }
      if (frame.message.from === "page") notify(frame);
      refreshThreads(150);
    } else if (frame.type === "message_state") {
      if (frame.page_id === state.current) onState(frame);
      refreshThreads(150);
    } else if (frame.type === "typing" && frame.page_id === state.current) {
      showTyping(Boolean(frame.typing));
    } else if (frame.type === "agent" && frame.page_id === state.current) {
      showAgent({ human: Boolean(frame.agent), agent: frame.agent });
      if (!frame.agent) {
        api("GET", `/api/v1/threads/${encodeURIComponent(state.current)}/agent`).then(showAgent).catch(() => {});
      }
    } else if (frame.type === "read" && frame.page_id === state.current) {
      state.readWatermark = Math.max(state.readWatermark, Number(frame.watermark) || 0);
      renderSeen();
    }
  }

  // Test hook: drop the live connection (and hold off reconnecting for ``holdMs``).
  window.ledgerline = {
    dropConnection(holdMs) {
      state.holdUntil = Date.now() + (holdMs || 0);
      if (state.ws) state.ws.close(4000, "dropped");
    },
    isLive: () => state.connected,
    // The notifications this page's service worker shows now ({title, body, tag}).
    notifications: async () => {
      const ready = serviceWorker();
      if (!ready) return [];
      const reg = await ready;
      return (await reg.getNotifications()).map((n) => ({ title: n.title, body: n.body, tag: n.tag }));
    },
  };

  // ---- start ---------------------------------------------------------------------------
  async function start() {
    try {
      T = await (await fetch(`/static/i18n/${LOCALE}.json`)).json();
    } catch (e) {
      T = {};
    }
    $("#search").addEventListener("input", onSearch);
    // Typed while the page was still loading its texts: search for it now (the input event
    // that carried it came before there was a listener).
    if ($("#search").value.trim()) onSearch();
    $("#back").addEventListener("click", () => {
      flushRead();
      state.current = null;
      window.history.replaceState(null, "", "/");
      $("#app").dataset.view = "list";
      renderThreads();
    });
    $("#attach").addEventListener("change", sendFile);
    // Signing out leaves nothing of this person's unsent messages on the device.
    const signOut = document.querySelector('[data-testid="sign-out"]');
    if (signOut && signOut.form) signOut.form.addEventListener("submit", () => saveOutbox([]));
    $("#composer").addEventListener("submit", (ev) => {
      ev.preventDefault();
      const input = $("#text");
      const text = input.value.trim();
      if (!text) return;
      input.value = "";
      state.myTypingAt = 0;
      send({ text }, text);
    });
    $("#text").addEventListener("input", typingChanged);
    document.addEventListener("visibilitychange", () => {
      renderTitle();
      if (document.visibilityState !== "visible") return;
      markRead();
      onOnline();
      renderPinned(); // an alert may have expired meanwhile
    });
    const settings = $("#notify-settings");
    if (settings) {
      settings.addEventListener("submit", saveNotifySettings);
      $("#notify-toggle").addEventListener("click", () => {
        const panel = $("#notify-panel");
        panel.hidden = !panel.hidden;
        $("#notify-saved").hidden = true;
        renderNotifySettings();
      });
    }
    if ("Notification" in window && Notification.permission === "granted") serviceWorker();
    window.addEventListener("offline", onOffline);
    window.addEventListener("online", onOnline);
    loadThreads().then(openRequestedThread);
    connect();
  }

  start();
})();
