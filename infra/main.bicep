// Ask Eve failover gateway: everything one environment needs, in one resource group.
//
//   Front Door Premium + WAF  ->  Function App (Flex Consumption) per region in `regions`
//                                 each with its own storage: breakers, health, audit,
//                                 escalations and the Durable task hub
//   shared (in `location`): Key Vault, Log Analytics + Application Insights, alert rules,
//   the status workbook; Azure OpenAI (gpt-4o-mini) in each of `openAiLocations`.
//
// Deploy with infra/deploy.sh (what-if, create, publish). Every location is a UK region.

targetScope = 'resourceGroup'

@description('Environment name, part of every resource name.')
@allowed([
  'dev'
  'prod'
])
param environmentName string

@description('UK region for the shared resources (Key Vault, monitoring, alerts, workbook).')
@allowed([
  'uksouth'
  'ukwest'
])
param location string = 'uksouth'

@description('UK regions that run the app stack, in Front Door priority order (first is primary).')
@allowed([
  'uksouth'
  'ukwest'
])
@minLength(1)
@maxLength(2)
param regions array = [
  'uksouth'
  'ukwest'
]

@description('UK regions with an Azure OpenAI account. Each app calls the account in its own region first (if there is one, otherwise the first) as tier azure_openai, and the other account, if any, as tier azure_openai_secondary.')
@allowed([
  'uksouth'
  'ukwest'
])
@minLength(1)
@maxLength(2)
param openAiLocations array = [
  'uksouth'
  'ukwest'
]

@description('Model deployment name the app calls.')
param openAiDeploymentName string = 'gpt-4o-mini'

@description('Model name.')
param openAiModelName string = 'gpt-4o-mini'

@description('Model version (pinned).')
param openAiModelVersion string = '2024-07-18'

@description('Deployment SKU. Standard keeps processing in the account region.')
@allowed([
  'Standard'
  'GlobalStandard'
  'DataZoneStandard'
  'ProvisionedManaged'
])
param openAiSkuName string = 'Standard'

@description('Deployment capacity in thousands of tokens per minute.')
@minValue(1)
param openAiCapacity int = 30

@description('Azure OpenAI API version the app uses.')
param openAiApiVersion string = '2024-10-21'

@description('Turn off Azure OpenAI key authentication (the app then relies on its managed identity alone).')
param openAiDisableLocalAuth bool = false

@description('Expiry of the Azure OpenAI key copy in Key Vault (epoch seconds); rotation moves it on.')
param openAiKeySecretExpiry int = dateTimeToEpoch(dateTimeAdd(utcNow(), 'P90D'))

@description('Durable task hub name (letters and digits, 3-45 characters).')
@minLength(3)
@maxLength(45)
param taskHubName string = 'askeve${environmentName}'

@description('Durable backend per region: the Durable Task Scheduler (default; finished instances purged by its retention policy) or the regional storage account.')
@allowed([
  'durableTaskScheduler'
  'azureStorage'
])
param durableBackend string = 'durableTaskScheduler'

@description('Durable Task Scheduler SKU. Dedicated (generally available, per capacity unit: up to 2,000 actions/s) for production; Consumption is in preview, billed per action, for test environments.')
@allowed([
  'Dedicated'
  'Consumption'
])
param durableSchedulerSku string = 'Dedicated'

@description('Capacity units of a Dedicated scheduler per region (1-3; 3 for high availability).')
@minValue(1)
@maxValue(3)
param durableSchedulerCapacityUnits int = 1

// Cold start (README, "Cold start"): an always-ready instance removes the cold start of a
// group's first requests, not of its scale-out. Recommended for production: one per group per
// region for `http` (chat and crisis replies) and `durable` (orchestrations, escalations).
// Each is billed its memory all the time: 2 GB x 2,628,000 s a month = 5,256,000 GB-s, about
// USD 21 a month at the always-ready baseline list price of USD 0.000004 per GB-s.
@description('Always-ready instances for HTTP triggers, per region (prod: 1, about USD 21 a month each).')
@minValue(0)
param alwaysReadyHttpInstances int = 1

@description('Always-ready instances for the Durable group, per region (prod: 1, about USD 21 a month each).')
@minValue(0)
param alwaysReadyDurableInstances int = 1

@description('Always-ready instances per queue-trigger function per region (prod: 1 each, about USD 21 a month each).')
@minValue(0)
param alwaysReadyQueueInstances int = 1

@description('Maximum instances per region.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Memory per instance.')
@allowed([
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Concurrent HTTP requests per instance.')
@minValue(1)
@maxValue(1000)
param httpPerInstanceConcurrency int = 16

@description('Address that receives Azure Monitor alerts.')
param alertEmail string

@description('Webhook (Teams workflow URL) that receives Azure Monitor alerts.')
@secure()
param alertWebhookUrl string = ''

@description('Address the app sends escalation e-mails to (ALERT_EMAIL_TO).')
param alertEmailTo string = alertEmail

@description('Nurse team lead: where crisis escalations nobody acknowledged go by e-mail (SUPERVISOR_EMAIL_TO). Its Teams webhook is the Key Vault secret supervisor-teams-webhook-url.')
@minLength(3)
param supervisorEmailTo string

@description('Operations: where the app\'s own alerts go by e-mail (OPS_ALERT_EMAIL_TO). Its Teams webhook is the Key Vault secret ops-teams-webhook-url.')
@minLength(3)
param opsAlertEmailTo string

@description('Object id of the Microsoft Entra ID group whose members may use the operator routes and the status page (OPERATOR_GROUP_ID).')
@minLength(36)
param operatorGroupId string

@description('The version of the ack-link-key secret before the last rotation: set during a rotation so links already sent stay valid (docs/runbook.md); empty otherwise.')
param ackLinkKeyPreviousVersion string = ''

@description('Client id of the Microsoft Entra ID app registration that App Service authentication signs operators in with (ID tokens on; group claims emitted).')
@minLength(36)
param entraClientId string

@description('Egress addresses (CIDR) of the chatbot backend, which the WAF never rate limits or blocks.')
@minLength(1)
param botBackendAddresses array

@description('SMTP relay host for escalation e-mails.')
param smtpHost string

@description('SMTP relay port.')
param smtpPort string = '587'

@description('SMTP user name (the password is the Key Vault secret smtp-password).')
param smtpUsername string

@description('Sender address for escalation e-mails.')
param smtpFrom string

@description('Whether to use STARTTLS with the relay.')
@allowed([
  'true'
  'false'
])
param smtpStartTls string = 'true'

@description('NCRONTAB schedule of the provider health checks.')
param healthCheckSchedule string = '0 */1 * * * *'

@description('NCRONTAB schedule of the secret rotation job.')
param secretRotationSchedule string = '0 30 2 * * *'

@description('WAF mode.')
@allowed([
  'Prevention'
  'Detection'
])
param wafMode string = 'Prevention'

@description('Requests per minute per client address before the WAF blocks. The chatbot backend is exempt (botBackendAddresses); this bounds everyone else.')
@minValue(10)
param rateLimitPerMinute int = 600

@description('Seconds between Front Door health probes from each edge.')
@minValue(5)
@maxValue(255)
param healthProbeIntervalSeconds int = 30

@description('Days to keep logs and telemetry.')
@minValue(30)
@maxValue(730)
param logRetentionDays int = 90

@description('Error-rate alert threshold, percent.')
@minValue(1)
@maxValue(100)
param errorRateThresholdPercent int = 5

@description('Fewest chat requests in 5 minutes before the error rate is judged.')
@minValue(1)
param errorRateMinimumRequests int = 20

@description('Extra tags for every resource.')
param tags object = {}

@description('Put Key Vault, storage and Azure OpenAI behind private endpoints, with the function apps joined to a virtual network in each region (peered). On by default in production.')
param privateNetworking bool = environmentName == 'prod'

var nameSuffix = uniqueString(resourceGroup().id)
var namePrefix = 'askeve-${environmentName}'
var allTags = union(tags, {
  application: 'askeve-failover-gateway'
  environment: environmentName
  dataResidency: 'uk'
})
var regionCodes = {
  uksouth: 'uks'
  ukwest: 'ukw'
}
// Which Azure OpenAI account each app region calls: its own region's if there is one.
var openAiLocationFor = {
  uksouth: contains(openAiLocations, 'uksouth') ? 'uksouth' : openAiLocations[0]
  ukwest: contains(openAiLocations, 'ukwest') ? 'ukwest' : openAiLocations[0]
}
// The other account each app region calls after its own ('' when there is only one account).
var openAiSecondaryFor = {
  uksouth: length(openAiLocations) < 2 ? '' : (openAiLocations[0] == openAiLocationFor.uksouth ? openAiLocations[1] : openAiLocations[0])
  ukwest: length(openAiLocations) < 2 ? '' : (openAiLocations[0] == openAiLocationFor.ukwest ? openAiLocations[1] : openAiLocations[0])
}
var healthProbePath = '/api/health/ready'
var maxRequestBodyBytes = 2097152

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    location: location
    workspaceName: 'log-${namePrefix}'
    appInsightsName: 'appi-${namePrefix}'
    retentionDays: logRetentionDays
    tags: allTags
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  params: {
    location: location
    name: take('kv-${namePrefix}-${nameSuffix}', 24)
    softDeleteRetentionDays: 90
    workspaceId: monitoring.outputs.workspaceId
    privateOnly: privateNetworking
    tags: allTags
  }
}

module openAi 'modules/openai.bicep' = [for openAiLocation in openAiLocations: {
  name: 'openai-${openAiLocation}'
  params: {
    location: openAiLocation
    name: 'oai-${namePrefix}-${regionCodes[openAiLocation]}-${nameSuffix}'
    deploymentName: openAiDeploymentName
    modelName: openAiModelName
    modelVersion: openAiModelVersion
    skuName: openAiSkuName
    capacity: openAiCapacity
    disableLocalAuth: openAiDisableLocalAuth
    keyVaultName: keyVault.outputs.name
    keySecretName: 'azure-openai-api-key-${openAiLocation}'
    keySecretExpiry: openAiKeySecretExpiry
    workspaceId: monitoring.outputs.workspaceId
    privateOnly: privateNetworking
    tags: allTags
  }
}]

module rotationRole 'modules/rotation-role.bicep' = {
  name: 'rotation-role'
  params: {
    environmentName: environmentName
  }
}

module frontDoorProfile 'modules/frontdoor-profile.bicep' = {
  name: 'frontdoor-profile'
  params: {
    name: 'afd-${namePrefix}'
    endpointName: '${namePrefix}-${take(nameSuffix, 6)}'
    workspaceId: monitoring.outputs.workspaceId
    tags: allTags
  }
}

module privateDns 'modules/private-dns.bicep' = if (privateNetworking) {
  name: 'private-dns'
  params: {
    tags: allTags
  }
}

// Key Vault and the Azure OpenAI accounts have one private endpoint each, in the first
// region's network; the second region reaches them over the peering.
var vaultPrivateEndpoint = {
  name: 'vault'
  id: keyVault.outputs.id
  groupId: 'vault'
  zone: 'vault'
}
var openAiPrivateEndpoints = [for (openAiLocation, i) in openAiLocations: {
  name: 'openai-${openAiLocation}'
  id: openAi[i].outputs.id
  groupId: 'account'
  zone: 'openai'
}]
var sharedPrivateEndpoints = concat([vaultPrivateEndpoint], openAiPrivateEndpoints)

module regionStacks 'modules/region.bicep' = [for (region, i) in regions: {
  name: 'region-${region}'
  params: {
    privateNetworking: privateNetworking
    vnetAddressPrefix: '10.${60 + i}.0.0/16'
    appSubnetPrefix: '10.${60 + i}.0.0/24'
    endpointSubnetPrefix: '10.${60 + i}.1.0/24'
    privateDnsZoneIds: privateNetworking ? privateDns.outputs.zoneIds : {}
    sharedPrivateEndpoints: (privateNetworking && i == 0) ? sharedPrivateEndpoints : []
    location: region
    environmentName: environmentName
    nameSuffix: nameSuffix
    workspaceId: monitoring.outputs.workspaceId
    appInsightsName: monitoring.outputs.appInsightsName
    keyVaultName: keyVault.outputs.name
    keyVaultUri: keyVault.outputs.uri
    openAiAccountName: openAi[indexOf(openAiLocations, openAiLocationFor[region])].outputs.name
    openAiEndpoint: openAi[indexOf(openAiLocations, openAiLocationFor[region])].outputs.endpoint
    openAiLocation: openAiLocationFor[region]
    openAiDeploymentName: openAiDeploymentName
    openAiApiVersion: openAiApiVersion
    openAiKeyAuthEnabled: !openAiDisableLocalAuth
    openAiKeySecretName: 'azure-openai-api-key-${openAiLocationFor[region]}'
    // One region rotates each account's key, or two jobs would race and leave a stale copy.
    runsSecretRotation: (openAiLocationFor[region] == region) || ((i == 0) && !contains(regions, openAiLocationFor[region]))
    openAiSecondaryAccountName: empty(openAiSecondaryFor[region]) ? '' : openAi[indexOf(openAiLocations, openAiSecondaryFor[region])].outputs.name
    openAiSecondaryEndpoint: empty(openAiSecondaryFor[region]) ? '' : openAi[indexOf(openAiLocations, openAiSecondaryFor[region])].outputs.endpoint
    openAiSecondaryRegion: openAiSecondaryFor[region]
    openAiSecondaryKeySecretName: empty(openAiSecondaryFor[region]) ? '' : 'azure-openai-api-key-${openAiSecondaryFor[region]}'
    // The secondary account is rotated by the region it belongs to; only if that region runs no
    // app does the first region rotate it (one rotating region per account, as above).
    runsSecondarySecretRotation: !empty(openAiSecondaryFor[region]) && (i == 0) && !contains(regions, openAiSecondaryFor[region])
    rotatorRoleDefinitionId: rotationRole.outputs.roleDefinitionId
    taskHubName: taskHubName
    durableBackend: durableBackend
    durableSchedulerSku: durableSchedulerSku
    durableSchedulerCapacityUnits: durableSchedulerCapacityUnits
    frontDoorId: frontDoorProfile.outputs.frontDoorId
    botBackendAddresses: botBackendAddresses
    frontDoorHostName: frontDoorProfile.outputs.endpointHostName
    operatorGroupId: operatorGroupId
    ackLinkKeyPreviousVersion: ackLinkKeyPreviousVersion
    entraClientId: entraClientId
    alwaysReadyHttpInstances: alwaysReadyHttpInstances
    alwaysReadyDurableInstances: alwaysReadyDurableInstances
    alwaysReadyQueueInstances: alwaysReadyQueueInstances
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
    httpPerInstanceConcurrency: httpPerInstanceConcurrency
    alertEmailTo: alertEmailTo
    supervisorEmailTo: supervisorEmailTo
    opsAlertEmailTo: opsAlertEmailTo
    smtpHost: smtpHost
    smtpPort: smtpPort
    smtpUsername: smtpUsername
    smtpFrom: smtpFrom
    smtpStartTls: smtpStartTls
    healthCheckSchedule: healthCheckSchedule
    secretRotationSchedule: secretRotationSchedule
    tags: allTags
  }
}]

module vnetPeering 'modules/vnet-peering.bicep' = if (privateNetworking && length(regions) > 1) {
  name: 'vnet-peering'
  params: {
    firstVnetName: regionStacks[0].outputs.vnetName
    secondVnetName: regionStacks[1].outputs.vnetName
  }
}

module frontDoorRouting 'modules/frontdoor-routing.bicep' = {
  name: 'frontdoor-routing'
  params: {
    profileName: frontDoorProfile.outputs.name
    endpointName: frontDoorProfile.outputs.endpointName
    wafPolicyName: 'waf${replace(namePrefix, '-', '')}'
    origins: [for (region, i) in regions: {
      region: region
      name: 'origin-${region}'
      hostName: regionStacks[i].outputs.defaultHostName
      priority: i + 1
    }]
    healthProbePath: healthProbePath
    healthProbeIntervalSeconds: healthProbeIntervalSeconds
    wafMode: wafMode
    rateLimitPerMinute: rateLimitPerMinute
    botBackendAddresses: botBackendAddresses
    maxRequestBodyBytes: maxRequestBodyBytes
    tags: allTags
  }
}

module alerts 'modules/alerts.bicep' = {
  name: 'alerts'
  params: {
    location: location
    namePrefix: namePrefix
    appInsightsId: monitoring.outputs.appInsightsId
    alertEmail: alertEmail
    alertWebhookUrl: alertWebhookUrl
    errorRateThresholdPercent: errorRateThresholdPercent
    errorRateMinimumRequests: errorRateMinimumRequests
    tags: allTags
  }
}

module workbook 'modules/workbook.bicep' = {
  name: 'workbook'
  params: {
    location: location
    displayName: 'Ask Eve gateway status (${environmentName})'
    appInsightsId: monitoring.outputs.appInsightsId
    tags: allTags
  }
}

output frontDoorHostName string = frontDoorRouting.outputs.endpointHostName
// deploy.sh takes each region's origin out of this group while it publishes to it.
output frontDoorProfileName string = frontDoorProfile.outputs.name
output frontDoorOriginGroupName string = frontDoorRouting.outputs.originGroupName
output regions array = regions
output functionAppNames array = [for (region, i) in regions: regionStacks[i].outputs.appName]
output storageAccountNames array = [for (region, i) in regions: regionStacks[i].outputs.storageAccountName]
output keyVaultName string = keyVault.outputs.name
output appInsightsName string = monitoring.outputs.appInsightsName
output alertRuleNames array = alerts.outputs.ruleNames
output workbookId string = workbook.outputs.id
