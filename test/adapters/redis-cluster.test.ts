import { redisClusterNodes, skipReason } from './helpers.js';
import { connectIORedisCluster, connectNodeRedisCluster, redisStoreSuite } from './redis-suite.js';

const note = skipReason ? ` (${skipReason})` : redisClusterNodes.length === 0 ? ' (no Redis Cluster: set MFAKIT_REDIS_CLUSTER_NODES or install redis-server)' : '';
const skip = redisClusterNodes.length === 0;
redisStoreSuite(`Redis adapter on a 3-master cluster, node-redis createCluster${note}`, connectNodeRedisCluster(redisClusterNodes), { cluster: true, skip });
redisStoreSuite(`Redis adapter on a 3-master cluster, ioredis Cluster${note}`, connectIORedisCluster(redisClusterNodes), { cluster: true, skip });
