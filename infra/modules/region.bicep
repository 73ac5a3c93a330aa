// The app stack of one UK region: its own storage (breakers, health, audit, escalations, the
// host's own blobs, and the Durable task hub when `durableBackend` is azureStorage), its own
// Durable Task Scheduler (when `durableBackend` is durableTaskScheduler, the default), its own
// Function App, and that app's least-privilege role assignments.
// main.bicep deploys one of these per entry in `regions`; Front Door sends traffic to them.

@description('UK region of this stack.')
@allowed([
  'uksouth'
  'ukwest'
])
param location string

@description('Environment name (dev or prod).')
@allowed([
  'dev'
  'prod'
])
param environmentName string

@description('Short deterministic suffix that makes global names unique.')
param nameSuffix string

@description('Log Analytics workspace id.')
param workspaceId string

@description('Application Insights component name.')
param appInsightsName string

@description('Key Vault name.')
param keyVaultName string

@description('Key Vault URI (KEY_VAULT_URI).')
param keyVaultUri string

@description('Azure OpenAI account this region calls.')
param openAiAccountName string

@description('Endpoint of that account (AZURE_OPENAI_ENDPOINT).')
param openAiEndpoint string

@description('Region of that account (AZURE_OPENAI_REGION: residency and the status page read it).')
@allowed([
  'uksouth'
  'ukwest'
])
param openAiLocation string

@description('Model deployment name (AZURE_OPENAI_DEPLOYMENT).')
param openAiDeploymentName string

@description('Azure OpenAI API version (AZURE_OPENAI_API_VERSION).')
param openAiApiVersion string

@description('Whether the account accepts keys; if not, no key reference or rotation is set up.')
param openAiKeyAuthEnabled bool

@description('Key Vault secret holding the key copy of that account.')
param openAiKeySecretName string

@description('Whether this region owns the key rotation of its account (one region per account).')
param runsSecretRotation bool

@description('The other Azure OpenAI account this region calls after its own (tier azure_openai_secondary); empty if none.')
param openAiSecondaryAccountName string = ''

@description('Endpoint of that account (AZURE_OPENAI_SECONDARY_ENDPOINT).')
param openAiSecondaryEndpoint string = ''

@description('Region of that account (AZURE_OPENAI_SECONDARY_REGION).')
param openAiSecondaryRegion string = ''

@description('Key Vault secret holding the key copy of that account.')
param openAiSecondaryKeySecretName string = ''

@description('Whether this region rotates the secondary account key (only if its own region runs no app).')
param runsSecondarySecretRotation bool = false

@description('Resource id of the custom key-rotator role.')
param rotatorRoleDefinitionId string

@description('Durable task hub name.')
param taskHubName string

@description('Durable backend: the Durable Task Scheduler (with its retention policy) or the storage account.')
@allowed([
  'durableTaskScheduler'
  'azureStorage'
])
param durableBackend string = 'durableTaskScheduler'

@description('Durable Task Scheduler SKU: Dedicated (production) or Consumption (preview; test environments).')
@allowed([
  'Dedicated'
  'Consumption'
])
param durableSchedulerSku string

@description('Capacity units of a Dedicated scheduler.')
@minValue(1)
@maxValue(3)
param durableSchedulerCapacityUnits int = 1

@description('Front Door profile id allowed to call the app (also FRONT_DOOR_ID: per-IP limits trust only this profile).')
param frontDoorId string

@description('Egress addresses (CIDR) of the chatbot backend: exempt from the app\'s per-IP bucket (BOT_BACKEND_ADDRESSES), as from the WAF\'s.')
param botBackendAddresses array

@description('Front Door endpoint host name: where acknowledgement links point (ACK_BASE_URL).')
param frontDoorHostName string

@description('Entra ID group allowed on the operator routes and the status page.')
param operatorGroupId string

@description('The version of the ack-link-key secret before the last rotation (ACK_LINK_KEY_PREVIOUS): links it signed stay valid until they expire. Empty: no previous key.')
param ackLinkKeyPreviousVersion string = ''

@description('Client id of the Entra ID app registration for App Service authentication.')
param entraClientId string

@description('Always-ready instances for HTTP triggers.')
param alwaysReadyHttpInstances int

@description('Always-ready instances for the Durable group.')
param alwaysReadyDurableInstances int

@description('Always-ready instances for each queue-trigger group.')
param alwaysReadyQueueInstances int

@description('Maximum instances.')
param maximumInstanceCount int

@description('Memory per instance.')
param instanceMemoryMB int

@description('Concurrent HTTP requests per instance.')
param httpPerInstanceConcurrency int

@description('Where the app sends escalation e-mails (ALERT_EMAIL_TO).')
param alertEmailTo string

@description('Nurse team lead e-mail (SUPERVISOR_EMAIL_TO).')
param supervisorEmailTo string

@description('Operations e-mail (OPS_ALERT_EMAIL_TO).')
param opsAlertEmailTo string

@description('SMTP relay host.')
param smtpHost string

@description('SMTP relay port.')
param smtpPort string

@description('SMTP user name (the password is a Key Vault secret).')
param smtpUsername string

@description('Sender address for escalation e-mails.')
param smtpFrom string

@description('Whether to use STARTTLS with the relay.')
param smtpStartTls string

@description('NCRONTAB schedule of the provider health checks.')
param healthCheckSchedule string

@description('NCRONTAB schedule of the secret rotation job.')
param secretRotationSchedule string

@description('Whether the language-model crisis triage runs (CRISIS_TRIAGE_ENABLED). Its recall is unmeasured until it is run against clinician-labelled messages; off, /api/health reports crisis detection degraded.')
param crisisTriageEnabled bool = true

@description('Tags for every resource.')
param tags object

@description('Private endpoints for storage (and for sharedPrivateEndpoints), and the app joined to the region network.')
param privateNetworking bool = false

@description('Address space of the region network (privateNetworking).')
param vnetAddressPrefix string = '10.60.0.0/16'

@description('Subnet of the region network for the app (virtual network integration).')
param appSubnetPrefix string = '10.60.0.0/24'

@description('Subnet of the region network for private endpoints.')
param endpointSubnetPrefix string = '10.60.1.0/24'

@description('Private DNS zone ids by service (privateNetworking).')
param privateDnsZoneIds object = {}

@description('Shared resources (Key Vault, Azure OpenAI) whose private endpoint lives in this region: objects with name, id, groupId and zone.')
param sharedPrivateEndpoints array = []

var regionCodes = {
  uksouth: 'uks'
  ukwest: 'ukw'
}
var regionCode = regionCodes[location]
var tableNames = [
  'breakers'
  'health'
  'audit'
  'escalations'
]
var deploymentContainerName = 'app-package'
var rotationEnabled = runsSecretRotation && openAiKeyAuthEnabled
var hasSecondary = !empty(openAiSecondaryAccountName)
var secondaryRotationEnabled = hasSecondary && runsSecondarySecretRotation && openAiKeyAuthEnabled
var useScheduler = durableBackend == 'durableTaskScheduler'
// The backend is chosen by app settings that override host.json's
// extensions.durableTask.storageProvider, so one host.json serves both choices.
var storageBackendSettings = {
  AzureFunctionsJobHost__extensions__durableTask__storageProvider__type: 'AzureStorage'
}
var schedulerBackendSettings = {
  AzureFunctionsJobHost__extensions__durableTask__storageProvider__type: 'azureManaged'
  AzureFunctionsJobHost__extensions__durableTask__storageProvider__connectionStringName: 'DURABLE_TASK_SCHEDULER_CONNECTION_STRING'
  // The system-assigned identity: no ClientID, no key.
  DURABLE_TASK_SCHEDULER_CONNECTION_STRING: useScheduler ? 'Endpoint=${durableScheduler.outputs.endpoint};Authentication=ManagedIdentity' : ''
}

module storage 'storage.bicep' = {
  name: 'storage-${location}'
  params: {
    location: location
    name: take('stask${environmentName}${regionCode}${nameSuffix}', 24)
    skuName: (location == 'uksouth') ? 'Standard_GZRS' : 'Standard_GRS'
    tableNames: tableNames
    deploymentContainerName: deploymentContainerName
    workspaceId: workspaceId
    privateOnly: privateNetworking
    tags: tags
  }
}

module network 'network.bicep' = if (privateNetworking) {
  name: 'network-${location}'
  params: {
    location: location
    vnetName: 'vnet-askeve-${environmentName}-${regionCode}'
    addressPrefix: vnetAddressPrefix
    appSubnetPrefix: appSubnetPrefix
    endpointSubnetPrefix: endpointSubnetPrefix
    zoneIds: privateDnsZoneIds
    storageAccountId: storage.outputs.id
    sharedEndpoints: sharedPrivateEndpoints
    tags: tags
  }
}

module app 'functionapp.bicep' = {
  name: 'functionapp-${location}'
  params: {
    location: location
    planName: 'plan-askeve-${environmentName}-${regionCode}'
    appName: 'func-askeve-${environmentName}-${regionCode}-${take(nameSuffix, 6)}'
    storageBlobEndpoint: storage.outputs.blobEndpoint
    deploymentContainerName: deploymentContainerName
    alwaysReadyHttpInstances: alwaysReadyHttpInstances
    alwaysReadyDurableInstances: alwaysReadyDurableInstances
    alwaysReadyQueueInstances: alwaysReadyQueueInstances
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
    httpPerInstanceConcurrency: httpPerInstanceConcurrency
    frontDoorId: frontDoorId
    operatorGroupId: operatorGroupId
    entraClientId: entraClientId
    workspaceId: workspaceId
    subnetId: privateNetworking ? network.outputs.appSubnetId : ''
    tags: tags
  }
}

module durableScheduler 'durable-scheduler.bicep' = if (useScheduler) {
  name: 'durable-scheduler-${location}'
  params: {
    location: location
    name: 'dts-askeve-${environmentName}-${regionCode}-${take(nameSuffix, 6)}'
    taskHubName: taskHubName
    principalId: app.outputs.principalId
    tags: tags
    skuName: durableSchedulerSku
    capacityUnits: durableSchedulerCapacityUnits
  }
}

// The crisis classifier's Content Safety account, in this region (UK West availability of the
// service was not verified here: if Azure refuses the account there, deploy that region's
// stack with the uksouth account instead; both keep processing in the UK).
module contentSafety 'content-safety.bicep' = {
  name: 'content-safety-${location}'
  params: {
    location: location
    name: 'cs-askeve-${environmentName}-${regionCode}-${take(nameSuffix, 6)}'
    workspaceId: workspaceId
    tags: tags
  }
}

module contentSafetyAccess 'access-content-safety.bicep' = {
  name: 'access-content-safety-${location}'
  params: {
    contentSafetyAccountName: contentSafety.outputs.name
    principalId: app.outputs.principalId
  }
}

module storageAccess 'access-storage.bicep' = {
  name: 'access-storage-${location}'
  params: {
    storageAccountName: storage.outputs.name
    principalId: app.outputs.principalId
  }
}

module keyVaultAccess 'access-keyvault.bicep' = {
  name: 'access-keyvault-${location}'
  params: {
    keyVaultName: keyVaultName
    principalId: app.outputs.principalId
    grantRotation: rotationEnabled
    rotatedSecretName: openAiKeySecretName
  }
}

module openAiAccess 'access-openai.bicep' = {
  name: 'access-openai-${location}'
  params: {
    openAiAccountName: openAiAccountName
    principalId: app.outputs.principalId
    grantRotation: rotationEnabled
    rotatorRoleDefinitionId: rotatorRoleDefinitionId
  }
}

module keyVaultAccessSecondary 'access-keyvault.bicep' = if (hasSecondary) {
  name: 'access-keyvault-secondary-${location}'
  params: {
    keyVaultName: keyVaultName
    principalId: app.outputs.principalId
    grantRotation: secondaryRotationEnabled
    rotatedSecretName: hasSecondary ? openAiSecondaryKeySecretName : openAiKeySecretName
  }
}

module openAiAccessSecondary 'access-openai.bicep' = if (hasSecondary) {
  name: 'access-openai-secondary-${location}'
  params: {
    openAiAccountName: hasSecondary ? openAiSecondaryAccountName : openAiAccountName
    principalId: app.outputs.principalId
    grantRotation: secondaryRotationEnabled
    rotatorRoleDefinitionId: rotatorRoleDefinitionId
  }
}

module settings 'functionapp-settings.bicep' = {
  name: 'functionapp-settings-${location}'
  dependsOn: [
    storageAccess
    keyVaultAccess
    openAiAccess
    keyVaultAccessSecondary
    openAiAccessSecondary
    contentSafetyAccess
    durableScheduler
  ]
  params: {
    appName: app.outputs.name
    appInsightsName: appInsightsName
    durableSettings: useScheduler ? schedulerBackendSettings : storageBackendSettings
    settings: {
      AzureWebJobsStorage__accountName: storage.outputs.name
      DURABLE_TASK_HUB_NAME: taskHubName
      OPENAI_API_KEY: '@Microsoft.KeyVault(VaultName=${keyVaultName};SecretName=openai-api-key)'
      ANTHROPIC_API_KEY: '@Microsoft.KeyVault(VaultName=${keyVaultName};SecretName=anthropic-api-key)'
      AZURE_OPENAI_ENDPOINT: openAiEndpoint
      AZURE_OPENAI_REGION: openAiLocation
      AZURE_OPENAI_USE_MANAGED_IDENTITY: 'true'
      AZURE_OPENAI_API_KEY: openAiKeyAuthEnabled ? '@Microsoft.KeyVault(VaultName=${keyVaultName};SecretName=${openAiKeySecretName})' : ''
      AZURE_OPENAI_DEPLOYMENT: openAiDeploymentName
      AZURE_OPENAI_API_VERSION: openAiApiVersion
      AZURE_OPENAI_RESOURCE_ID: resourceId('Microsoft.CognitiveServices/accounts', openAiAccountName)
      AZURE_OPENAI_KEY_SECRET_NAME: openAiKeySecretName
      // Tier azure_openai_secondary: the other UK account, read through its own setting names.
      AZURE_OPENAI_SECONDARY_ENDPOINT: openAiSecondaryEndpoint
      AZURE_OPENAI_SECONDARY_REGION: openAiSecondaryRegion
      AZURE_OPENAI_SECONDARY_USE_MANAGED_IDENTITY: hasSecondary ? 'true' : 'false'
      AZURE_OPENAI_SECONDARY_API_KEY: (hasSecondary && openAiKeyAuthEnabled) ? '@Microsoft.KeyVault(VaultName=${keyVaultName};SecretName=${openAiSecondaryKeySecretName})' : ''
      AZURE_OPENAI_SECONDARY_DEPLOYMENT: openAiDeploymentName
      AZURE_OPENAI_SECONDARY_API_VERSION: openAiApiVersion
      AZURE_OPENAI_SECONDARY_RESOURCE_ID: secondaryRotationEnabled ? resourceId('Microsoft.CognitiveServices/accounts', openAiSecondaryAccountName) : ''
      AZURE_OPENAI_SECONDARY_KEY_SECRET_NAME: secondaryRotationEnabled ? openAiSecondaryKeySecretName : ''
      // Every alert audience has a channel: a Teams webhook from Key Vault and an e-mail list.
      // deploy.sh refuses to publish while a webhook secret is missing.
      TEAMS_WEBHOOK_URL: '@Microsoft.KeyVault(VaultName=${keyVaultName};SecretName=teams-webhook-url)'
      ALERT_EMAIL_TO: alertEmailTo
      SUPERVISOR_TEAMS_WEBHOOK_URL: '@Microsoft.KeyVault(VaultName=${keyVaultName};SecretName=supervisor-teams-webhook-url)'
      SUPERVISOR_EMAIL_TO: supervisorEmailTo
      OPS_TEAMS_WEBHOOK_URL: '@Microsoft.KeyVault(VaultName=${keyVaultName};SecretName=ops-teams-webhook-url)'
      OPS_ALERT_EMAIL_TO: opsAlertEmailTo
      // Acknowledgement links in crisis alerts: signed with one key for both regions, pointing
      // at Front Door; a link for the other region is forwarded there, pinned by header.
      ACK_LINK_KEY: '@Microsoft.KeyVault(VaultName=${keyVaultName};SecretName=ack-link-key)'
      // The key before the last rotation, pinned to its version (docs/runbook.md, "Rotate the
      // acknowledgement-link key"); empty between rotations.
      ACK_LINK_KEY_PREVIOUS: empty(ackLinkKeyPreviousVersion) ? '' : '@Microsoft.KeyVault(VaultName=${keyVaultName};SecretName=ack-link-key;SecretVersion=${ackLinkKeyPreviousVersion})'
      ACK_BASE_URL: 'https://${frontDoorHostName}'
      ACK_REGION: location
      ACK_REGION_URLS: 'uksouth=https://${frontDoorHostName},ukwest=https://${frontDoorHostName}'
      OPERATOR_GROUP_ID: operatorGroupId
      FRONT_DOOR_ID: frontDoorId
      // The chatbot backend sends every patient's message: no per-IP bucket for it in the app
      // either (each conversation keeps its own).
      BOT_BACKEND_ADDRESSES: join(botBackendAddresses, ',')
      // The worker configures OpenTelemetry export (host.json telemetryMode: OpenTelemetry), so
      // logs go out once and the app's spans join the host's trace; the app then configures
      // nothing itself. learn.microsoft.com/azure/azure-functions/opentelemetry-howto
      // ("Configure application settings", Application Insights, Python).
      PYTHON_APPLICATIONINSIGHTS_ENABLE_TELEMETRY: 'true'
      SMTP_HOST: smtpHost
      SMTP_PORT: smtpPort
      SMTP_USERNAME: smtpUsername
      SMTP_PASSWORD: '@Microsoft.KeyVault(VaultName=${keyVaultName};SecretName=smtp-password)'
      SMTP_FROM: smtpFrom
      SMTP_STARTTLS: smtpStartTls
      PSEUDONYM_KEY: '@Microsoft.KeyVault(VaultName=${keyVaultName};SecretName=pseudonym-key)'
      DATA_RESIDENCY: 'uk'
      KEY_VAULT_URI: keyVaultUri
      ASKEVE_STATUS_POLL_INTERVAL_MS: '100'
      HEALTH_CHECK_SCHEDULE: healthCheckSchedule
      SECRET_ROTATION_SCHEDULE: secretRotationSchedule
      AUDIT_RETENTION_SCHEDULE: '0 45 2 * * *'
      TASK_HUB_PURGE_SCHEDULE: '0 */5 * * * *'
      CHAT_INSTANCE_RETENTION_MINUTES: '15'
      ESCALATION_INSTANCE_RETENTION_HOURS: '2'
      SECRET_ROTATION_ENABLED: (rotationEnabled || secondaryRotationEnabled) ? 'true' : 'false'
      // Crisis detection beside the patterns: the Content Safety classifier, keyless (managed
      // identity; the account has local auth off, so CONTENT_SAFETY_KEY is never set), and the
      // language-model triage on the first tier the policy permits (a UK tier here).
      CONTENT_SAFETY_ENDPOINT: contentSafety.outputs.endpoint
      CONTENT_SAFETY_USE_MANAGED_IDENTITY: 'true'
      CRISIS_TRIAGE_ENABLED: crisisTriageEnabled ? 'true' : 'false'
    }
  }
}

output appName string = app.outputs.name
output defaultHostName string = app.outputs.defaultHostName
output storageAccountName string = storage.outputs.name
output contentSafetyAccountName string = contentSafety.outputs.name
output vnetName string = privateNetworking ? network.outputs.vnetName : ''
output durableSchedulerName string = useScheduler ? durableScheduler.outputs.name : ''

