import { createRequire as __dkpCreateRequire } from 'node:module'; const require = __dkpCreateRequire(import.meta.url);
import{a as e}from"./chunk-45YJL5F3.js";var s=["check","backup","kommander","workspaces","workspace-apps","project-apps","custom-apps","capi-components","core-addons","kubernetes","verify"],a=["plan",...s,"status","pause","resume","fetch-dkp"],o=new Set(["core-addons","kubernetes"]);function n(t){return a.includes(t)}e(n,"isStageName");export{s as a,a as b,o as c,n as d};
//# sourceMappingURL=chunk-YBQ6S5YG.js.map
