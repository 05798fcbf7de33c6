// Where the API lives. "" means the app's own origin, as behind the nginx that `make run`
// and docker compose put in front of both. A server that serves the app apart from the API
// answers this file with the API's address (scripts/static_server.py --api); ?api=http://host:port
// overrides it per page load.
window.DIGITS_CONFIG = {
  apiBase: "",
};
