import { createApp } from "vue";
import { provideGlobalConfig } from "element-plus";
import zhCn from "element-plus/es/locale/lang/zh-cn";
// Components and their styles are imported where used (vite.config.ts); these are called from scripts only.
import "element-plus/es/components/message/style/css";
import "element-plus/es/components/message-box/style/css";
import App from "./App.vue";
import { createAppRouter } from "./router";

const app = createApp(App);
// Chinese for Element Plus's own texts (pagination, date picker, dialogs), as `app.use(ElementPlus, { locale })`.
provideGlobalConfig({ locale: zhCn }, app, true);
app.use(createAppRouter()).mount("#app");
