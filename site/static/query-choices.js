// A canned query's town or meeting input suggests the choices as you type (the <datalist>s of
// site/templates/query-douzelage.html).
["town", "meeting"].forEach(function (name) {
  if (!document.getElementById(name + "-choices")) return;
  document.querySelectorAll('form.sql input[name="' + name + '"]').forEach(function (input) {
    input.setAttribute("list", name + "-choices");
    input.setAttribute("autocomplete", "off");
  });
});
