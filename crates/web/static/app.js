// Forms that ask before they act (data-confirm). Served from /static so the Content Security
// Policy can forbid inline script.
document.addEventListener("submit", function (e) {
  var msg = e.target.getAttribute && e.target.getAttribute("data-confirm");
  if (msg && !window.confirm(msg)) {
    e.preventDefault();
  }
});

// One menu group open at a time, and a click elsewhere closes it.
document.addEventListener("click", function (e) {
  document.querySelectorAll("details.menu[open]").forEach(function (d) {
    if (!d.contains(e.target)) {
      d.removeAttribute("open");
    }
  });
});
