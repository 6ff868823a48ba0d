// Forms that ask before they act (data-confirm). Served from /static so the Content Security
// Policy can forbid inline script.
document.addEventListener("submit", function (e) {
  var msg = e.target.getAttribute && e.target.getAttribute("data-confirm");
  if (msg && !window.confirm(msg)) {
    e.preventDefault();
  }
});
