import { createRequire as __dkpCreateRequire } from 'node:module'; const require = __dkpCreateRequire(import.meta.url);
import{a as e}from"./chunk-45YJL5F3.js";var s=class{constructor(t=r=>process.stderr.write(r)){this.write=t}write;static{e(this,"ConsoleReporter")}outputs=new Map;summaries=[];indent="";info(t){this.write(`${this.indent}${t}
`)}warning(t,r){this.write(`${this.indent}warning: ${o(t,r)}
`)}error(t,r){this.write(`${this.indent}error: ${o(t,r)}
`)}async group(t,r){this.write(`${this.indent}${t}
`);let n=this.indent;this.indent=`${n}  `;try{return await r()}finally{this.indent=n}}output(t,r){this.outputs.set(t,r)}summary(t){this.summaries.push(t)}secret(t){}},o=e((i,t)=>t?`${t.file}:${t.line}:${t.col}: ${i}`:i,"located");export{s as a};
//# sourceMappingURL=chunk-QCKPUDE3.js.map
