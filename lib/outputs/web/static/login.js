// The token form for a web view that is reachable from the network.
const params = new URLSearchParams(location.search);
document.getElementById("next").value = params.get("next") ?? "/";
document.getElementById("wrong").hidden = params.get("wrong") !== "1";
