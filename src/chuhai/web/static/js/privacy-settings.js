// The privacy settings page (/privacy): saves the choices and sends data-subject requests.
import { settings } from "./consent.js";

const form = document.getElementById("privacy-form");
if (form) settings(form);
