import { createRequire as __dkpCreateRequire } from 'node:module'; const require = __dkpCreateRequire(import.meta.url);
import{a as t}from"./chunk-45YJL5F3.js";var r;function u(){return r}t(u,"processDeadline");function a(e){r=e}t(a,"setProcessDeadline");function d(e,n,i=Date.now()){return{at:i+e*6e4,what:n}}t(d,"deadlineIn");function o(e){if(e<6e4)return`${Math.max(0,Math.round(e/100)/10)} s`;let n=e/6e4;return`${Number.isInteger(n)?n:n.toFixed(1)} minute${n===1?"":"s"}`}t(o,"formatDuration");export{u as a,a as b,d as c,o as d};
//# sourceMappingURL=chunk-7L35WMXF.js.map
