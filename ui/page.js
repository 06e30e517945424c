() => {
  // The chat page's own behaviour (Gradio runs this function once the page has loaded; see ui/server.py).
  //
  // 1. Copy gives plain text. Gradio's copy button and each message's aria-label hold the message's HTML;
  //    an answer carries its plain text (the answer with its [n] markers, notes and numbered sources) in a
  //    hidden .copy-text element, written by ui/html.py, and any other message is read as it is shown.
  // 2. A marker opens its own answer's passages: the sources panel holds every answer's, the newest shown.
  // 3. The Articles form learns which file was last chosen: a file the page refuses (too large, wrong type)
  //    never reaches the server, so its name and size go into the hidden #a-refused box for "Add" to explain.

  const plain = (message) => {
    const kept = message.querySelector(".copy-text");
    const text = kept ? kept.textContent : (message.querySelector(".message-content") || message).innerText;
    return text.trim();
  };

  // The message a copy button belongs to: the buttons follow their message inside the chat's list.
  const messageOf = (button) => {
    let row = button.closest(".message-buttons");
    while (row && row.previousElementSibling) {
      row = row.previousElementSibling;
      const message = row.matches("[data-testid]") ? row : row.querySelector('[data-testid="bot"], [data-testid="user"]');
      if (message) return message;
    }
    return null;
  };

  document.addEventListener("click", (event) => {
    const button = event.target.closest("#chat .message-buttons button");
    const message = button && messageOf(button);
    if (!message) return;
    event.preventDefault();
    event.stopImmediatePropagation(); // Gradio's own handler would copy the markup
    const text = plain(message);
    const done = () => { button.dataset.copied = "1"; };
    if (navigator.clipboard) {
      navigator.clipboard.writeText(text).then(done);
    } else {
      const area = document.createElement("textarea");
      area.value = text;
      document.body.append(area);
      area.select();
      document.execCommand("copy");
      area.remove();
      done();
    }
  }, true);

  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest("#chat a.cite");
    const target = link && document.getElementById(link.getAttribute("href").slice(1));
    const group = target && target.closest("#sources .turn");
    if (!group) return;
    // Before the link is followed, so that the browser scrolls to a passage it can see.
    group.parentElement.querySelectorAll(".turn").forEach((g) => g.classList.toggle("shown", g === group));
    group.parentElement.classList.add("opened");
  }, true);

  const label = (message) => {
    const wanted = `${message.dataset.testid}'s message: ${plain(message).replace(/\s+/g, " ")}`;
    if (message.getAttribute("aria-label") !== wanted) message.setAttribute("aria-label", wanted);
  };
  new MutationObserver(() => {
    document.querySelectorAll('#chat [data-testid="bot"], #chat [data-testid="user"]').forEach(label);
  }).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true,
                              attributeFilter: ["aria-label"] });

  const note = (files) => {
    const box = document.querySelector("#a-refused textarea, #a-refused input");
    if (!box || !files || !files.length) return;
    box.value = JSON.stringify({ name: files[0].name, size: files[0].size });
    box.dispatchEvent(new Event("input", { bubbles: true }));
  };
  document.addEventListener("change", (event) => {
    if (event.target.matches && event.target.matches("#a-file input[type=file]")) note(event.target.files);
  }, true);
  document.addEventListener("drop", (event) => {
    if (event.target.closest && event.target.closest("#a-file")) note(event.dataTransfer && event.dataTransfer.files);
  }, true);
}
