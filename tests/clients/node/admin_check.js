// kafkajs' group administration against a broker: resetOffsets, setOffsets, describeGroups
// (with each member's host) and deleteGroups. Usage: node admin_check.js HOST:PORT
//
// Prints one line per check, `ok: ...` or `FAIL: ...`, then one JSON line `result: {...}`
// with what the broker returned, and `all checks passed` when every check held. Every
// step has a deadline: a broker that refuses a commit makes kafkajs retry forever.

const { Kafka, logLevel } = require('kafkajs')

const broker = process.argv[2]
const kafka = new Kafka({
  clientId: 'js-admin',
  brokers: [broker],
  logLevel: logLevel.NOTHING,
  retry: { retries: 3 },
})
const TOPIC = 'js-admin'
const STEP_MS = 30000

let failed = false
function check(cond, what) {
  console.log(`${cond ? 'ok' : 'FAIL'}: ${what}`)
  if (!cond) failed = true
}

function deadline(what, promise) {
  let timer
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not return within ${STEP_MS} ms`)), STEP_MS)
  })
  return Promise.race([promise, late]).finally(() => clearTimeout(timer))
}

async function offsets(admin, groupId) {
  const [t] = await admin.fetchOffsets({ groupId, topics: [TOPIC] })
  return t.partitions
    .map(p => [p.partition, Number(p.offset)])
    .sort((a, b) => a[0] - b[0])
}

// A consumer of `groupId` that reads until it has seen `count` records, then stays.
async function consume(groupId, count) {
  const consumer = kafka.consumer({ groupId, sessionTimeout: 10000, heartbeatInterval: 500 })
  await consumer.connect()
  await consumer.subscribe({ topic: TOPIC, fromBeginning: true })
  let seen = 0
  let done
  const all = new Promise(resolve => { done = resolve })
  await consumer.run({
    eachMessage: async () => {
      seen += 1
      if (seen >= count) done()
    },
  })
  if (count > 0) await all
  return consumer
}

async function main() {
  const result = {}
  const admin = kafka.admin()
  await admin.connect()
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 3 }], waitForLeaders: true })
  const producer = kafka.producer()
  await producer.connect()
  for (const partition of [0, 1, 2]) {
    const messages = Array.from({ length: 10 }, (_, i) => ({ value: `v${i}`, partition }))
    await producer.send({ topic: TOPIC, messages })
  }
  await producer.disconnect()

  // A group reads everything, commits, and leaves.
  const reader = await deadline('consuming', consume('js-group', 30))
  await deadline('leaving', reader.disconnect())
  result.committed = await offsets(admin, 'js-group')
  check(result.committed.every(([, o]) => o === 10), `the group committed 10 per partition: ${JSON.stringify(result.committed)}`)

  await deadline('resetOffsets earliest', admin.resetOffsets({ groupId: 'js-group', topic: TOPIC, earliest: true }))
  result.earliest = await offsets(admin, 'js-group')
  check(result.earliest.every(([, o]) => o === -2), `resetOffsets earliest stores -2: ${JSON.stringify(result.earliest)}`)

  await deadline('resetOffsets latest', admin.resetOffsets({ groupId: 'js-group', topic: TOPIC }))
  result.latest = await offsets(admin, 'js-group')
  check(result.latest.every(([, o]) => o === -1), `resetOffsets latest stores -1: ${JSON.stringify(result.latest)}`)

  const wanted = [{ partition: 0, offset: '3' }, { partition: 1, offset: '50' }, { partition: 2, offset: '-2' }]
  await deadline('setOffsets', admin.setOffsets({ groupId: 'js-group', topic: TOPIC, partitions: wanted }))
  result.set = await offsets(admin, 'js-group')
  check(JSON.stringify(result.set) === '[[0,3],[1,50],[2,-2]]', `setOffsets stores 3, 50 (past the end) and -2: ${JSON.stringify(result.set)}`)

  // A live group: described with hosts, and neither reset nor deleted.
  const live = await deadline('joining', consume('js-live', 0))
  let described
  for (let i = 0; i < 100; i++) {
    const { groups } = await admin.describeGroups(['js-live'])
    described = groups[0]
    if (described.state === 'Stable') break
    await new Promise(r => setTimeout(r, 100))
  }
  result.described = {
    state: described.state,
    protocolType: described.protocolType,
    protocol: described.protocol,
    members: described.members.map(m => ({ clientId: m.clientId, clientHost: m.clientHost })),
  }
  check(described.state === 'Stable', `describeGroups: the live group is Stable (${described.state})`)
  check(described.members.length === 1 && described.members[0].clientHost === '/127.0.0.1',
    `describeGroups: the member's host is /127.0.0.1: ${JSON.stringify(result.described.members)}`)

  try {
    await deadline('resetOffsets on a live group', admin.resetOffsets({ groupId: 'js-live', topic: TOPIC }))
    result.liveReset = 'accepted'
  } catch (e) {
    result.liveReset = e.message
  }
  check(/must have no running instances/.test(result.liveReset), `resetOffsets refuses a live group: ${result.liveReset}`)

  result.liveDelete = await deleteGroups(admin, ['js-live'])
  check(JSON.stringify(result.liveDelete) === '[["js-live","NON_EMPTY_GROUP"]]', `deleteGroups refuses a live group: ${JSON.stringify(result.liveDelete)}`)
  await deadline('leaving', live.disconnect())

  result.deleted = await deleteGroups(admin, ['js-group', 'js-live'])
  check(JSON.stringify(result.deleted) === '[["js-group",null],["js-live",null]]', `deleteGroups deletes empty groups: ${JSON.stringify(result.deleted)}`)
  result.unknownDelete = await deleteGroups(admin, ['js-nope'])
  check(JSON.stringify(result.unknownDelete) === '[["js-nope","GROUP_ID_NOT_FOUND"]]', `deleteGroups: an unknown group: ${JSON.stringify(result.unknownDelete)}`)
  const { groups } = await admin.listGroups()
  result.groupsLeft = groups.map(g => g.groupId).sort()
  check(!result.groupsLeft.includes('js-group'), `the deleted group is gone: ${JSON.stringify(result.groupsLeft)}`)

  await admin.disconnect()
  console.log(`result: ${JSON.stringify(result)}`)
  if (failed) process.exit(1)
  console.log('all checks passed')
}

// Each group with the error kafkajs names, or null when it was deleted.
async function deleteGroups(admin, ids) {
  try {
    const results = await deadline('deleteGroups', admin.deleteGroups(ids))
    return results.map(r => [r.groupId, null])
  } catch (e) {
    if (!e.groups) throw e
    const failedIds = new Map(e.groups.map(g => [g.groupId, g.error.type]))
    return ids.map(id => [id, failedIds.get(id) || null])
  }
}

main().catch(e => {
  console.log(`FAIL: ${e.stack || e}`)
  process.exit(1)
})
