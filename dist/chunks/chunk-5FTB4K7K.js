import { createRequire as __dkpCreateRequire } from 'node:module'; const require = __dkpCreateRequire(import.meta.url);
import{c as N}from"./chunk-XAZPVJKA.js";import{a as r}from"./chunk-45YJL5F3.js";import{spawn as L}from"node:child_process";var c={grace:"DKP_FLEET_WATCHDOG_GRACE_MS",orphan:"DKP_FLEET_WATCHDOG_ORPHAN_MS",nodeOptions:"DKP_FLEET_WATCHDOG_NODE_OPTIONS"},_=`'use strict'
const { spawn } = require('node:child_process')
const { writeSync } = require('node:fs')
const { constants } = require('node:os')
const [bin, ...args] = process.argv.slice(1)
const env = { ...process.env }
const num = (k, d) => { const v = Number(env[k]); delete env[k]; return Number.isFinite(v) && v > 0 ? v : d }
const grace = num('${c.grace}', 5000)
const orphanMs = num('${c.orphan}', 30000)
const saved = env['${c.nodeOptions}']
delete env['${c.nodeOptions}']
if (saved !== undefined) env.NODE_OPTIONS = saved
const report = (m) => { try { writeSync(3, JSON.stringify(m) + '\\n') } catch {} }
for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(s, () => {})
let stopping = false
const stop = (why) => {
  if (stopping) return
  stopping = true
  report({ orphaned: why })
  try { process.kill(-process.pid, 'SIGTERM') } catch {}
  setTimeout(() => { try { process.kill(-process.pid, 'SIGKILL') } catch {} }, grace)
}
let child
try {
  child = spawn(bin, args, { env, stdio: ['ignore', 'inherit', 'inherit'] })
} catch (e) {
  report({ error: String(e && e.message || e) })
  process.exit(127)
}
child.on('error', (e) => { report({ error: String(e && e.message || e) }); process.exit(127) })
child.on('exit', (code, signal) => {
  if (stopping) { try { process.kill(-process.pid, 'SIGKILL') } catch {} }
  process.exit(code ?? 128 + (constants.signals[signal] || 0))
})
let beat = Date.now()
process.stdin.on('data', () => { beat = Date.now() })
process.stdin.on('end', () => stop('parent exited'))
process.stdin.on('error', () => stop('parent exited'))
setInterval(() => { if (Date.now() - beat > orphanMs) stop('parent stopped') }, Math.min(1000, orphanMs / 4))
`;var $=50;function H(n,t){return[n,...t].map(W).join(" ")}r(H,"commandLine");function W(n){return/^[A-Za-z0-9_@%+=:,./-]+$/.test(n)?n:`'${n.replace(/'/g,"'\\''")}'`}r(W,"shellQuote");function P(n,t){return[...n.args,`--kubeconfig=${t}`]}r(P,"dkpArgv");function J(n,t){return H("dkp",P(n,t))}r(J,"displayCommand");var d=class extends N{constructor(e,p,g,l,s){let f=l==="timeout"?"timed out and was killed":l==="cancelled"?"was cancelled and killed":l==="spawn"?`could not start: ${s}`:l==="orphaned"?`was stopped by its watchdog: ${s}`:`exited with code ${p}`;super(`${e} ${f}${g.length?`; last output:
${g.map(v=>`  ${v}`).join(`
`)}`:""}`);this.command=e;this.exitCode=p;this.tail=g;this.reason=l;this.name="DkpError"}command;exitCode;tail;reason;static{r(this,"DkpError")}},R=class{constructor(t){this.opts=t}opts;static{r(this,"DkpRunner")}executed=[];running;lastOutput=[];get binary(){return this.opts.binary}argv(t){return P(t,this.opts.kubeconfigPath)}display(t){return J(t,this.opts.kubeconfigPath)}orphanMs(){let t=Number(process.env.DKP_FLEET_WATCHDOG_MS);return this.opts.orphanMs??(Number.isFinite(t)&&t>0?t:3e4)}watchdogEnv(t){let e={...t};return delete e.NODE_OPTIONS,t.NODE_OPTIONS!==void 0&&(e[c.nodeOptions]=t.NODE_OPTIONS),e[c.grace]=String(this.opts.killGraceMs??5e3),e[c.orphan]=String(this.orphanMs()),e}async run(t,e){t.readOnly||this.executed.push(this.display(t));let p=await this.spawn(t,e);if(p.exitCode!==0)throw new d(this.display(t),p.exitCode,p.tail,"exit");return p}spawn(t,e){let p=this.argv(t),g=Date.now();this.running=this.display(t);let l=this.opts.tailLines??$,s=[];this.lastOutput=s;let f=[];return new Promise((v,h)=>{if(e.aborted){h(new d(this.display(t),null,[],M(e)));return}let A=F({...process.env,...this.opts.env},this.opts.omitEnv??[]),i=L(process.execPath,["-e",_,"--",this.opts.binary,...p],{env:this.watchdogEnv(A),stdio:["pipe","pipe","pipe","pipe"],detached:!0});i.stdin.on("error",()=>{});let S=setInterval(()=>i.stdin.write("."),Math.min(5e3,this.orphanMs()/3));S.unref();let b="";i.stdio[3].setEncoding("utf8").on("data",o=>{b+=o});let m,y=r(()=>{if(!(i.pid===void 0||i.exitCode!==null)){try{process.kill(-i.pid,"SIGTERM")}catch{}m=setTimeout(()=>{try{process.kill(-i.pid,"SIGKILL")}catch{}},this.opts.killGraceMs??5e3),m.unref()}},"killTree"),O=r(()=>y(),"onAbort");e.addEventListener("abort",O,{once:!0});let w=r(()=>y(),"exitKill");process.once("exit",w);let x=r((o,u)=>{let a="";o.setEncoding("utf8"),o.on("data",E=>{let T=(a+E).split(/\r?\n/);a=T.pop()??"";for(let C of T)k(C,u)}),o.on("end",()=>{a&&k(a,u)})},"lines"),k=r((o,u)=>{u&&f.push(o),s.push(o),s.length>l&&s.shift(),this.opts.onLine?.(o)},"emit");x(i.stdout,!0),x(i.stderr,!1),i.on("error",o=>{D(),h(new d(this.display(t),null,s,"spawn",o.message))}),i.on("close",(o,u)=>{D();let a=K(b);if(a.error){h(new d(this.display(t),null,s,"spawn",a.error));return}if(e.aborted){h(new d(this.display(t),o,s,M(e)));return}if(a.orphaned){let E=a.orphaned==="parent stopped"?`dkp-fleet was not running (stopped or frozen) for more than ${this.orphanMs()/1e3} s, long enough for its lock to lapse`:"dkp-fleet exited";h(new d(this.display(t),o,s,"orphaned",E));return}v({exitCode:o??(u?128:1),durationMs:Date.now()-g,stdout:f.join(`
`),tail:s})});let D=r(()=>{clearInterval(S),this.running=void 0,e.removeEventListener("abort",O),process.removeListener("exit",w),m&&clearTimeout(m)},"cleanup")})}};function K(n){let t={};for(let e of n.split(`
`))if(e.trim())try{Object.assign(t,JSON.parse(e))}catch{}return t}r(K,"parseReports");function F(n,t){for(let e of t)delete n[e];return n}r(F,"withoutKeys");function M(n){return n.reason instanceof Error&&n.reason.name==="TimeoutError"?"timeout":"cancelled"}r(M,"abortReason");export{$ as a,H as b,P as c,J as d,d as e,R as f};
//# sourceMappingURL=chunk-5FTB4K7K.js.map
