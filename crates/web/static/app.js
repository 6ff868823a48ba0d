// Forms that ask before they act (data-confirm). Served from /static so the Content Security
// Policy can forbid inline script.
// {n} is how many boxes the form's data-count selector finds checked, {to} the chosen owner.
document.addEventListener("submit", function (e) {
  var form = e.target;
  var msg = form.getAttribute && form.getAttribute("data-confirm");
  if (!msg) {
    return;
  }
  var count = form.getAttribute("data-count");
  if (count) {
    msg = msg.replace("{n}", String(form.querySelectorAll(count).length));
  }
  var to = form.querySelector("select[name=to_user_id]");
  if (to && to.selectedIndex >= 0) {
    msg = msg.replace("{to}", to.options[to.selectedIndex].text);
  }
  if (!window.confirm(msg)) {
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
