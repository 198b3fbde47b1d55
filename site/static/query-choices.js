// A canned query's town input suggests the member towns as you type (the <datalist> of query-douzelage.html).
document.querySelectorAll('form.sql input[name="town"]').forEach(function (input) {
  input.setAttribute("list", "town-choices");
  input.setAttribute("autocomplete", "off");
});
