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

// Visit plans: pick the customer from one's own (search by name, pinyin or phone), keeping its
// id and region; rows are added as needed (the server reads up to 30).
(function () {
  var rows = document.getElementById("plan-rows");
  var list = document.getElementById("plan-customers");
  if (!rows || !list) {
    return;
  }
  var found = {};
  var timer = null;
  // Links the row to the customer its name matches, and fills an empty region from the card.
  function link(input) {
    var id = input.parentNode.querySelector("input[type=hidden]");
    var c = found[input.value];
    id.value = c ? String(c.id) : "";
    if (c && c.region) {
      var region = input.closest("tr").querySelector("input[name$=_region]");
      if (region && !region.value) {
        region.value = c.region;
      }
    }
    return c;
  }
  // One's own customers first, then customers in the pool (a visit to win one back).
  function search(q, input) {
    var get = function (url) {
      return fetch(url + encodeURIComponent(q), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : { items: [] }; })
        .then(function (data) { return data.items || []; });
    };
    Promise.all([get("/api/v1/customers?per_page=8&q="), get("/api/v1/pool?per_page=5&q=")])
      .then(function (answers) {
        list.textContent = "";
        answers.forEach(function (items, pool) {
          items.forEach(function (c) {
            if (found[c.name] && found[c.name].id !== c.id) {
              return;
            }
            found[c.name] = c;
            var o = document.createElement("option");
            o.value = c.name;
            o.label = [pool ? list.getAttribute("data-pool") : "", c.region, c.phone]
              .filter(Boolean).join(" · ");
            list.appendChild(o);
          });
        });
        // The name may have been typed in full before the answer came.
        link(input);
      });
  }
  rows.addEventListener("input", function (e) {
    var input = e.target;
    if (!input.classList.contains("customer-pick")) {
      return;
    }
    var c = link(input);
    clearTimeout(timer);
    if (!c && input.value.trim().length > 0) {
      timer = setTimeout(function () { search(input.value.trim(), input); }, 200);
    }
  });
  var add = document.getElementById("add-row");
  add.hidden = false;
  add.addEventListener("click", function () {
    var body = rows.tBodies[0];
    var n = body.rows.length;
    if (n >= 30) {
      return;
    }
    var row = body.rows[n - 1].cloneNode(true);
    row.querySelectorAll("input, select").forEach(function (el) {
      el.name = el.name.replace(/^i\d+_/, "i" + n + "_");
      var label = el.getAttribute("aria-label");
      if (label) {
        el.setAttribute("aria-label", label.replace(/\d+$/, String(n + 1)));
      }
      if (el.tagName === "SELECT") {
        el.selectedIndex = 0;
      } else {
        el.value = "";
      }
    });
    body.appendChild(row);
    row.querySelector("input").focus();
  });
})();

// Check-in: the browser's position, only when the person presses the button (the browser asks
// for consent); nothing is sent otherwise.
(function () {
  var button = document.getElementById("locate");
  if (!button || !navigator.geolocation) {
    return;
  }
  var status = document.getElementById("locate-status");
  button.hidden = false;
  button.addEventListener("click", function () {
    navigator.geolocation.getCurrentPosition(
      function (p) {
        document.getElementById("latitude").value = p.coords.latitude.toFixed(6);
        document.getElementById("longitude").value = p.coords.longitude.toFixed(6);
        status.textContent = status.getAttribute("data-ok");
      },
      function () {
        status.textContent = status.getAttribute("data-fail");
      },
      { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 }
    );
  });
})();
