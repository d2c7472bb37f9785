import { createRequire as __dkpCreateRequire } from 'node:module'; const require = __dkpCreateRequire(import.meta.url);
import{a as e}from"./chunk-45YJL5F3.js";function a(t,r,n=!1){return{refused:!0,code:t,input:n,text:r}}e(a,"refuse");export{a};
//# sourceMappingURL=chunk-3KUPOUFT.js.map
