/* efirst search widget: turns <div data-efirst-search data-library="CODE"> into a search
   form that opens the library's portal. No dependencies; the plain HTML form snippet
   works without this script. */
(function () {
  "use strict";
  var script = document.currentScript;
  var portal = script && script.getAttribute("data-portal");
  if (!portal) { return; }
  function build(box) {
    if (box.getAttribute("data-efirst-ready")) { return; }
    box.setAttribute("data-efirst-ready", "1");
    var form = document.createElement("form");
    form.action = portal; form.method = "get"; form.target = "_blank";
    form.setAttribute("role", "search");
    var fields = { lib: box.getAttribute("data-library"), lang: box.getAttribute("data-lang") };
    Object.keys(fields).forEach(function (name) {
      if (!fields[name]) { return; }
      var hidden = document.createElement("input");
      hidden.type = "hidden"; hidden.name = name; hidden.value = fields[name];
      form.appendChild(hidden);
    });
    var input = document.createElement("input");
    input.type = "search"; input.name = "q";
    input.placeholder = box.getAttribute("data-placeholder") || "";
    input.setAttribute("aria-label", input.placeholder || "Search");
    var button = document.createElement("button");
    button.type = "submit"; button.textContent = box.getAttribute("data-button") || "Search";
    form.appendChild(input); form.appendChild(button);
    box.appendChild(form);
  }
  Array.prototype.forEach.call(document.querySelectorAll("[data-efirst-search]"), build);
})();
