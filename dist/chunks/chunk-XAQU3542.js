import { createRequire as __dkpCreateRequire } from 'node:module'; const require = __dkpCreateRequire(import.meta.url);
import{a as n}from"./chunk-45YJL5F3.js";var s=class{constructor(t=r=>process.stderr.write(r),i){this.write=t;this.details=i}write;details;static{n(this,"ConsoleReporter")}outputs=new Map;summaries=[];indent="";detail(t){this.details?this.details.write(t):this.info(t)}info(t){this.write(`${this.indent}${t}
`)}warning(t,i){this.write(`${this.indent}warning: ${o(t,i)}
`)}error(t,i){this.write(`${this.indent}error: ${o(t,i)}
`)}async group(t,i){this.write(`${this.indent}${t}
`);let r=this.indent;this.indent=`${r}  `;try{return await i()}finally{this.indent=r}}output(t,i){this.outputs.set(t,i)}summary(t){this.summaries.push(t)}secret(t){}},o=n((e,t)=>t?`${t.file}:${t.line}:${t.col}: ${e}`:e,"located");export{s as a};
//# sourceMappingURL=chunk-XAQU3542.js.map
