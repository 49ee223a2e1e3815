import { redisUrl, skipReason } from './helpers.js';
import { connectIORedis, connectNodeRedis, redisStoreSuite } from './redis-suite.js';

const note = skipReason ? ` (${skipReason})` : '';
const skip = redisUrl === '';
redisStoreSuite(`Redis adapter on one server, node-redis createClient${note}`, connectNodeRedis(redisUrl), { cluster: false, skip });
redisStoreSuite(`Redis adapter on one server, ioredis Redis${note}`, connectIORedis(redisUrl), { cluster: false, skip });
