// The "no permission" page: only the shared furniture.

import { initPage } from "../ui.js";

initPage();
