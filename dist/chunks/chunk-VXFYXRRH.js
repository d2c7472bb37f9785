import { createRequire as __dkpCreateRequire } from 'node:module'; const require = __dkpCreateRequire(import.meta.url);
import{c as E}from"./chunk-XAZPVJKA.js";import{a as s}from"./chunk-45YJL5F3.js";import{spawn as _}from"node:child_process";var d={grace:"DKP_FLEET_WATCHDOG_GRACE_MS",orphan:"DKP_FLEET_WATCHDOG_ORPHAN_MS",nodeOptions:"DKP_FLEET_WATCHDOG_NODE_OPTIONS"},b=`'use strict'
const { spawn } = require('node:child_process')
const { writeSync } = require('node:fs')
const { constants } = require('node:os')
const [bin, ...args] = process.argv.slice(1)
const env = { ...process.env }
const num = (k, d) => { const v = Number(env[k]); delete env[k]; return Number.isFinite(v) && v > 0 ? v : d }
const grace = num('${d.grace}', 5000)
const orphanMs = num('${d.orphan}', 30000)
const saved = env['${d.nodeOptions}']
delete env['${d.nodeOptions}']
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
`;var P=50;function R(n,t){return[n,...t].map(C).join(" ")}s(R,"commandLine");function C(n){return/^[A-Za-z0-9_@%+=:,./-]+$/.test(n)?n:`'${n.replace(/'/g,"'\\''")}'`}s(C,"shellQuote");function x(n,t){return[...n.args,`--kubeconfig=${t}`]}s(x,"dkpArgv");function M(n,t,e="dkp"){return R(e,x(n,t))}s(M,"displayCommand");var u=class extends E{constructor(e,r,i,o,c){let p=o==="timeout"?"timed out and was killed":o==="cancelled"?"was cancelled and killed":o==="spawn"?`could not start: ${c}`:o==="orphaned"?`was stopped by its watchdog: ${c}`:`exited with code ${r}`;super(`${e} ${p}${i.length?`; last output:
${i.map(h=>`  ${h}`).join(`
`)}`:""}`);this.command=e;this.exitCode=r;this.tail=i;this.reason=o;this.name="DkpError"}command;exitCode;tail;reason;static{s(this,"DkpError")}},O=class{constructor(t){this.opts=t}opts;static{s(this,"DkpRunner")}executed=[];running;lastOutput=[];get binary(){return this.opts.binary}argv(t){return x(t,this.opts.kubeconfigPath)}display(t){return M(t,this.opts.kubeconfigPath,this.opts.cli)}orphanMs(){let t=Number(process.env.DKP_FLEET_WATCHDOG_MS);return this.opts.orphanMs??(Number.isFinite(t)&&t>0?t:3e4)}watchdogEnv(t){let e={...t};return delete e.NODE_OPTIONS,t.NODE_OPTIONS!==void 0&&(e[d.nodeOptions]=t.NODE_OPTIONS),e[d.grace]=String(this.opts.killGraceMs??5e3),e[d.orphan]=String(this.orphanMs()),e}async run(t,e){t.readOnly||this.executed.push(this.display(t));let r=await this.spawn(t,e);if(r.exitCode!==0)throw new u(this.display(t),r.exitCode,r.tail,"exit");return r}spawn(t,e){let r=this.argv(t),i=Date.now(),o=this.display(t);this.running=o;let c=this.opts.tailLines??P,p=[];this.lastOutput=p;let h=[];return new Promise((D,g)=>{if(e.aborted){g(new u(o,null,[],w(e)));return}let l=this.startWatchdog(r),f=this.supervise(l,e),v="";l.stdio[3].setEncoding("utf8").on("data",a=>{v+=a});let S=s((a,m)=>{m&&h.push(a),p.push(a),p.length>c&&p.shift(),this.opts.onLine?.(a)},"emit");y(l.stdout,a=>S(a,!0)),y(l.stderr,a=>S(a,!1)),l.on("error",a=>{f.cleanup(),g(new u(o,null,p,"spawn",a.message))}),l.on("close",(a,m)=>{f.cleanup();let k=this.failureOf(o,a,A(v),e,p);k?g(k):D({exitCode:a??(m?128:1),durationMs:Date.now()-i,stdout:h.join(`
`),tail:p})})})}startWatchdog(t){let e=I({...process.env,...this.opts.env},this.opts.omitEnv??[]),r=_(process.execPath,["-e",b,"--",this.opts.binary,...t],{env:this.watchdogEnv(e),stdio:["pipe","pipe","pipe","pipe"],detached:!0});return r.stdin.on("error",()=>{}),r}supervise(t,e){let r=setInterval(()=>t.stdin.write("."),Math.min(5e3,this.orphanMs()/3));r.unref();let i,o=s(()=>{if(!(t.pid===void 0||t.exitCode!==null)){try{process.kill(-t.pid,"SIGTERM")}catch{}i=setTimeout(()=>{try{process.kill(-t.pid,"SIGKILL")}catch{}},this.opts.killGraceMs??5e3),i.unref()}},"killTree"),c=s(()=>o(),"onAbort");e.addEventListener("abort",c,{once:!0});let p=s(()=>o(),"exitKill");return process.once("exit",p),{cleanup:s(()=>{clearInterval(r),this.running=void 0,e.removeEventListener("abort",c),process.removeListener("exit",p),i&&clearTimeout(i)},"cleanup")}}failureOf(t,e,r,i,o){if(r.error)return new u(t,null,o,"spawn",r.error);if(i.aborted)return new u(t,e,o,w(i));if(!r.orphaned)return;let c=r.orphaned==="parent stopped"?`dkp-fleet was not running (stopped or frozen) for more than ${this.orphanMs()/1e3} s, long enough for its lock to lapse`:"dkp-fleet exited";return new u(t,e,o,"orphaned",c)}};function y(n,t){let e="";n.setEncoding("utf8"),n.on("data",r=>{let i=(e+r).split(/\r?\n/);e=i.pop()??"";for(let o of i)t(o)}),n.on("end",()=>{e&&t(e)})}s(y,"readLines");function A(n){let t={};for(let e of n.split(`
`))if(e.trim())try{Object.assign(t,JSON.parse(e))}catch{}return t}s(A,"parseReports");function I(n,t){for(let e of t)delete n[e];return n}s(I,"withoutKeys");function w(n){return n.reason instanceof Error&&n.reason.name==="TimeoutError"?"timeout":"cancelled"}s(w,"abortReason");export{P as a,R as b,x as c,M as d,u as e,O as f};
//# sourceMappingURL=chunk-VXFYXRRH.js.map
