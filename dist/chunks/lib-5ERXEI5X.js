import { createRequire as __dkpCreateRequire } from 'node:module'; const require = __dkpCreateRequire(import.meta.url);
import{a,b,c,d,e,f,g,h}from"./chunk-RN2L6CWF.js";import"./chunk-EOAJKOAP.js";import"./chunk-45YJL5F3.js";export{b as Headers,h as HttpClient,e as HttpClientError,f as HttpClientResponse,a as HttpCodes,c as MediaTypes,d as getProxyUrl,g as isHttps};
//# sourceMappingURL=lib-5ERXEI5X.js.map
