import { createRequire as __dkpCreateRequire } from 'node:module'; const require = __dkpCreateRequire(import.meta.url);
import{a as r}from"./chunk-45YJL5F3.js";var i="dkp-fleet-check";function s(t){let e=t.GITHUB_RUN_ID;if(!e)return;let n=`${i}-${e}-${t.GITHUB_RUN_ATTEMPT||"1"}`,o=t.GITHUB_SERVER_URL||"https://github.com";return t.GITHUB_REPOSITORY?{name:n,url:`${o}/${t.GITHUB_REPOSITORY}/actions/runs/${e}#artifacts`}:{name:n}}r(s,"checkArtifact");function c(t){return t?`
Report files: \`report.json\` (JSON) and \`check.sarif\` (SARIF) in the artifact ${t.url?`[${t.name}](${t.url})`:`**${t.name}**`} of this run (the shipped workflows upload it; SARIF also appears under Security \u2192 Code scanning).
`:"\nReport files: `report.json` (JSON) and `check.sarif` (SARIF), written next to the job (the `report` and `sarif` outputs).\n"}r(c,"reportFilesNote");export{s as a,c as b};
//# sourceMappingURL=chunk-KEJUK6ID.js.map
