// Shows the consent banner on pages that carry data-market and data-lang (the viewer).
import { banner } from "./consent.js";

const root = document.querySelector("[data-market][data-lang]");
if (root) banner(root, root.dataset.market, root.dataset.lang);
