// Evaluates IAM requests with @cloud-copilot/iam-simulate.
//
// stdin: a JSON array of {id, simulation} where simulation is the library's
// Simulation input. stdout: a JSON array of {id, decision, ignored, mode,
// errors, explain}: decision is Allowed, ExplicitlyDenied or ImplicitlyDenied.
//
// The library validates each request and drops context keys it does not
// list for the action. It does not list kms:EncryptionContext:<key> for KMS
// actions (AWS does: https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-encryption-context),
// so a key policy conditioned on the context (CloudWatch Logs') would look
// denied. Requests that lose only such keys are evaluated again without
// input validation; every other dropped key fails the request.
import { runSimulation } from '@cloud-copilot/iam-simulate'
import { loadPolicy } from '@cloud-copilot/iam-policy'

// The engine's own modules, beside its entry point (the package exports only the entry).
const entry = import.meta.resolve('@cloud-copilot/iam-simulate')
const esm = (p) => import(new URL(p, entry).href)
const { authorize } = await esm('core_engine/CoreSimulatorEngine.js')
const { AwsRequestImpl } = await esm('request/request.js')
const { RequestContextImpl } = await esm('requestContext.js')
const { DiscoveryContextKeyConstraints } = await esm('context_keys/discoveryContextKeyConstraints.js')

const input = JSON.parse(await new Promise((resolve, reject) => {
  let s = ''
  process.stdin.setEncoding('utf8')
  process.stdin.on('data', (d) => (s += d))
  process.stdin.on('end', () => resolve(s))
  process.stdin.on('error', reject)
}))

// VPC endpoint policies: AWS documents Principal "*" and {"AWS": "*"} as the
// same; the library's validator accepts only the first.
function normalizeEndpointPolicy(doc) {
  const copy = structuredClone(doc)
  for (const st of [copy.Statement].flat()) {
    if (st.Principal && typeof st.Principal === 'object' && st.Principal.AWS === '*') st.Principal = '*'
  }
  return copy
}

// The unvalidated path, with every policy named (the library's own unsafe
// entry point leaves the resource policy unnamed and then fails on it).
function evaluateUnvalidated(sim) {
  const named = (p) => loadPolicy(p.policy, { name: p.name })
  const analysis = authorize({
    request: new AwsRequestImpl(sim.request.principal, sim.request.resource, sim.request.action, new RequestContextImpl(sim.request.contextVariables)),
    sessionPolicy: undefined,
    identityPolicies: sim.identityPolicies.map(named),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy: sim.resourcePolicy ? loadPolicy(sim.resourcePolicy, { name: 'resource' }) : undefined,
    permissionBoundaries: undefined,
    vpcEndpointPolicies: sim.vpcEndpointPolicies ? sim.vpcEndpointPolicies.map(named) : undefined,
    simulationParameters: { simulationMode: 'Strict', discoveryContextKeyConstraints: new DiscoveryContextKeyConstraints([]) },
    serviceSettings: { s3: {} },
  })
  return analysis.result
}

const out = []
for (const { id, simulation } of input) {
  if (simulation.vpcEndpointPolicies) {
    simulation.vpcEndpointPolicies = simulation.vpcEndpointPolicies.map((p) => ({ name: p.name, policy: normalizeEndpointPolicy(p.policy) }))
  }
  const res = await runSimulation(simulation, {})
  if (res.resultType === 'error') {
    out.push({ id, decision: '', errors: res.errors, mode: 'validated' })
    continue
  }
  // A resource of "*" is answered per resource type the action has.
  const results = res.resultType === 'single' ? [res.result] : res.results
  if (results.length === 0) {
    // No resource pattern was allowed: the overall answer stands alone.
    out.push({ id, decision: res.overallResult, mode: 'validated' })
    continue
  }
  const result = results[0]
  const ignored = [...new Set(results.flatMap((r) => r.ignoredContextKeys ?? []))]
  const unlisted = ignored.filter((k) => !k.toLowerCase().startsWith('kms:encryptioncontext:'))
  if (unlisted.length > 0) {
    out.push({ id, decision: '', errors: { message: 'context keys not valid for this action: ' + unlisted.join(', ') }, mode: 'validated' })
    continue
  }
  if (ignored.length > 0) {
    out.push({ id, decision: evaluateUnvalidated(simulation), ignored, mode: 'unvalidated for kms:EncryptionContext' })
    continue
  }
  out.push({ id, decision: res.overallResult, mode: 'validated', explain: explain(result) })
}
process.stdout.write(JSON.stringify(out))

// explain names the statements that decided, for a failing row's message.
function explain(result) {
  const a = result.analysis ?? {}
  const names = []
  for (const part of ['identityAnalysis', 'resourceAnalysis', 'vpcEndpointAnalysis']) {
    const x = a[part]
    if (!x) continue
    for (const kind of ['allowStatements', 'denyStatements']) {
      for (const s of x[kind] ?? []) names.push(`${part}:${kind}:${s.policyId ?? ''}#${s.statementId ?? s.explain?.identifier ?? ''}`)
    }
  }
  return names
}
