// Where the API lives. Override per page load with ?api=http://host:port, or edit this file
// when deploying (an empty string means "same origin", as behind the nginx proxy).
window.DIGITS_CONFIG = {
  apiBase: "http://127.0.0.1:8000",
};
