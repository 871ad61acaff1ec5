// The "no permission" page: only the shared furniture.

import { initPage, markReady } from "../ui.js";

initPage();
markReady();
